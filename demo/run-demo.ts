/**
 * The demo's script: start the cluster, run the workload, SIGKILL the node that leads the most
 * groups at 30 % of the run, restart it at 55 %, rebalance leadership from then on, stop the
 * workload at the end, let every replica catch up, and check every acknowledged write.
 */
import type { ReplicaStatus } from "@flotilla/runtime";
import type { DemoCluster } from "./demo-cluster.js";
import type { DemoOptions } from "./demo-options.js";
import { LiveView } from "./live-view.js";
import { verify, type Verdict } from "./verification.js";
import { Workload, percentile } from "./workload.js";

const FRAME_MS = 500;

/** Runs the demo on `cluster` (which it closes) and returns the verdict. */
export async function runDemo(
  cluster: DemoCluster,
  options: DemoOptions,
  tty: boolean,
  stopSignal: AbortSignal,
): Promise<Verdict> {
  const events: string[] = [];
  const started = performance.now();
  const elapsedS = () => (performance.now() - started) / 1000;
  const event = (text: string) => events.push(`[${elapsedS().toFixed(1).padStart(5)}s] ${text}`);
  const view = new LiveView(tty);
  const workload = new Workload(cluster, options.inFlight);
  const totalS = options.follow ? undefined : options.durationS;
  const frame = () => {
    const figures = workload.recentFigures(2000);
    return {
      title: `Flotilla demo: ${cluster.description}; ${cluster.groupIds.length} groups, ${options.inFlight} proposals in flight`,
      elapsedS: elapsedS(),
      totalS,
      ...figures,
      acknowledged: workload.acknowledged.length,
      status: cluster.status(),
      events,
    };
  };
  const timer = setInterval(() => view.render(frame()), FRAME_MS);

  try {
    event(`started: ${cluster.description}`);
    await waitUntil(() => everyGroupLed(cluster.status(), cluster.groupIds.length), 60_000);
    event(`every one of ${cluster.groupIds.length} groups has a leader`);
    workload.start();
    event(`workload: ${options.inFlight} writers, each retrying its put until acknowledged`);

    const killAtS = options.follow ? 15 : options.durationS * 0.3;
    const restartAtS = options.follow ? 30 : options.durationS * 0.55;
    await sleepUntil(started, killAtS, stopSignal);

    const victim = mostLeaderships(cluster.status());
    const led = ledBy(cluster.status(), victim);
    await cluster.kill(victim);
    event(`${cluster.killVerb}: ${victim}, leader of ${led.length} groups`);
    const killedAt = performance.now();
    const failedOver = new Set<string>();
    const watchFailover = setInterval(() => {
      for (const groupId of led) {
        if (failedOver.has(groupId)) continue;
        const leader = leaderOf(cluster.status(), groupId);
        if (leader !== undefined && leader !== victim) {
          failedOver.add(groupId);
          if (failedOver.size === led.length) {
            event(
              `all ${led.length} groups of ${victim} have new leaders, the last after ` +
                `${((performance.now() - killedAt) / 1000).toFixed(2)} s`,
            );
          }
        }
      }
    }, 50);

    await sleepUntil(started, restartAtS, stopSignal);
    await cluster.restart(victim);
    event(`${victim} restarted from its LMDB files; rebalancing leadership`);
    clearInterval(watchFailover);
    const balancer = setInterval(() => cluster.rebalance(), 2000);
    cluster.rebalance();
    let running = true;
    // Reported when it happens; never waited for past the end of the run.
    void waitUntil(() => !running || isBalanced(cluster.status()), 60_000).then((ok) => {
      if (ok && running) event(`leadership balanced: ${leaderCounts(cluster.status())}`);
    });

    if (!options.follow) await sleepUntil(started, options.durationS, stopSignal);
    else
      await new Promise<void>((resolve) => stopSignal.addEventListener("abort", () => resolve()));
    clearInterval(balancer);
    running = false;
    event("workload stopped; waiting for every replica to apply everything");
    await workload.stop();
    const settled = await cluster.settle(30_000);
    if (!settled) event("warning: replicas still catching up after 30 s");

    const sorted = [...workload.latencies].sort((a, b) => a - b);
    const runS = elapsedS();
    event(
      `${workload.acknowledged.length} puts acknowledged (${Math.round(workload.acknowledged.length / runS)}/s on average), ` +
        `latency p50=${percentile(sorted, 0.5).toFixed(1)} ms p99=${percentile(sorted, 0.99).toFixed(1)} ms, ` +
        `${workload.retries} retries`,
    );
    const verdict = verify(workload.acknowledged, await cluster.states(), failedOver.size);
    clearInterval(timer);
    view.finish(frame());
    return verdict;
  } finally {
    clearInterval(timer);
    await workload.stop();
    await cluster.close();
  }
}

function everyGroupLed(
  status: ReadonlyMap<string, readonly ReplicaStatus[] | undefined>,
  groups: number,
): boolean {
  const led = new Set<string>();
  for (const replicas of status.values()) {
    for (const r of replicas ?? []) if (r.role === "leader") led.add(r.groupId);
  }
  return led.size === groups;
}

function ledBy(
  status: ReadonlyMap<string, readonly ReplicaStatus[] | undefined>,
  nodeId: string,
): string[] {
  return (status.get(nodeId) ?? []).filter((r) => r.role === "leader").map((r) => r.groupId);
}

function leaderOf(
  status: ReadonlyMap<string, readonly ReplicaStatus[] | undefined>,
  groupId: string,
): string | undefined {
  for (const [id, replicas] of status) {
    if (replicas?.some((r) => r.groupId === groupId && r.role === "leader")) return id;
  }
  return undefined;
}

function mostLeaderships(
  status: ReadonlyMap<string, readonly ReplicaStatus[] | undefined>,
): string {
  let best = "";
  let bestCount = -1;
  for (const id of status.keys()) {
    const count = ledBy(status, id).length;
    if (count > bestCount) [best, bestCount] = [id, count];
  }
  return best;
}

function leaderCounts(status: ReadonlyMap<string, readonly ReplicaStatus[] | undefined>): string {
  return [...status.keys()].map((id) => `${id}=${ledBy(status, id).length}`).join(" ");
}

function isBalanced(status: ReadonlyMap<string, readonly ReplicaStatus[] | undefined>): boolean {
  const counts = [...status.keys()].map((id) => ledBy(status, id).length);
  if (counts.some((_, i) => [...status.values()][i] === undefined)) return false;
  return Math.max(...counts) - Math.min(...counts) <= 1;
}

async function waitUntil(predicate: () => boolean, boundMs: number): Promise<boolean> {
  const deadline = performance.now() + boundMs;
  while (!predicate()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

async function sleepUntil(startedMs: number, atS: number, signal: AbortSignal): Promise<void> {
  const waitMs = startedMs + atS * 1000 - performance.now();
  if (waitMs <= 0 || signal.aborted) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, waitMs);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
