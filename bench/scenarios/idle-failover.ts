/**
 * Issue 7, scenario 3: 10,000 groups on 3 nodes, idle — CPU and RSS per node once every group
 * has a leader and has gone quiet; then SIGKILL the node that leads the most groups and measure
 * the time until every group it led has a leader again, and until a write to each group commits.
 *
 *   npx tsx --conditions=@flotilla/source bench/run-scenario.ts idle-failover [--quick]
 *
 * Leaders are observed through the groups' leadership events (idle-failover-leaders.ts: the
 * control `status` reply does not fit in a NATS message at 10,000 groups); the subscription is
 * open before the nodes start, since replicas publish changes only, never their state at rest.
 */
import { loadavg } from "node:os";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { FlotillaClient } from "@flotilla/client";
import { nearestRankPercentile } from "../lib/latency-histogram.js";
import { roundTo } from "../lib/round-to.js";
import { ServerSampler, type ServerUsage } from "../lib/server-sampler.js";
import { sleep } from "../lib/sleep.js";
import { FlotillaProcessCluster } from "../systems/flotilla-cluster.js";
import type { Durability } from "../systems/system-cluster.js";
import { GroupLeaderWatch, type LeadershipArrival } from "./idle-failover-leaders.js";
import { nodeStatus } from "./control.js";
import {
  failedReport,
  type FlotillaScenario,
  type ScenarioContext,
  type ScenarioMeasure,
  type ScenarioReport,
  type ScenarioSeries,
} from "./scenario.js";

const SCENARIO = { scenario: 3, title: "10,000 idle groups: CPU, RSS, then leader failover" };
const DURABILITY: Durability = "strict";

/** The node defaults (`--tick-ms 100 --election-ticks 10`): an election timeout is 1–2 s. */
const TICK_MS = 100;
const ELECTION_TICKS = 10;
/**
 * Quiet for this long (no leadership event anywhere) and every group led: leadership is stable.
 * Two election timeouts, as runtime-inprocess's idle row waits; groups quiesce after ~2 idle
 * ticks, well inside it.
 */
const STABLE_QUIET_MS = 2 * ELECTION_TICKS * TICK_MS + 1_000;
const POLL_MS = 250;
/** How often the leaders after the kill are counted, for the series. */
const LEADER_SERIES_MS = 100;
const CONTROL_TIMEOUT_MS = 5_000;
const CPU_GOAL_PCT = 2;
const RSS_GOAL_MB = 400;
const LEADERLESS_GOAL_MS = 3_000;

interface Plan {
  readonly groups: number;
  /** Wait after every group is led and quiet, before the idle window. */
  readonly settleMs: number;
  readonly idleWindowMs: number;
  /** Spawn until every group is led and quiet. */
  readonly startupTimeoutMs: number;
  /** Kill until every group has a new leader and every write settled. */
  readonly failoverTimeoutMs: number;
}

function planFor(quick: boolean): Plan {
  return quick
    ? {
        groups: 2_000,
        settleMs: 2_000,
        idleWindowMs: 10_000,
        startupTimeoutMs: 120_000,
        failoverTimeoutMs: 45_000,
      }
    : {
        groups: 10_000,
        settleMs: 10_000,
        idleWindowMs: 30_000,
        startupTimeoutMs: 360_000,
        failoverTimeoutMs: 90_000,
      };
}

/** What the failover phase observed, per group, in ms since the kill. */
interface FailoverTimes {
  readonly victim: string;
  readonly victimLed: number;
  readonly leaderCounts: ReadonlyMap<string, number>;
  /** Groups the victim led → when another node announced leadership in a later term. */
  readonly newLeaderMs: ReadonlyMap<string, number>;
  /** Every group → when its write committed. */
  readonly writeMs: ReadonlyMap<string, number>;
  readonly writeErrors: Readonly<Record<string, number>>;
  /** Groups the victim led that wrote during the phase (one per group). */
  readonly victimGroups: ReadonlySet<string>;
  /** Groups led (victim excluded), every {@link LEADER_SERIES_MS}, in s since the start. */
  readonly ledSeries: readonly (readonly [number, number])[];
  /** The kill, in s since the scenario's start. */
  readonly killAtS: number;
  /** Groups without a leader (victim excluded) when the phase ended. */
  readonly leaderlessAtEnd: number;
}

async function run(context: ScenarioContext): Promise<ScenarioReport> {
  const startedAt = Date.now();
  const startedAtMs = performance.now();
  const plan = planFor(context.quick);
  const parameters: Record<string, number | string> = {
    groups: plan.groups,
    nodes: 3,
    replicas_per_group: 3,
    durability: DURABILITY,
    tick_ms: TICK_MS,
    election_ticks: ELECTION_TICKS,
    settle_ms: plan.settleMs,
    idle_window_ms: plan.idleWindowMs,
    stable_quiet_ms: STABLE_QUIET_MS,
  };
  const notes: string[] = [
    `Load average at the start: ${loadavg()
      .map((load) => load.toFixed(2))
      .join(" / ")} (2 cores, shared with other runs).`,
  ];
  const measures: ScenarioMeasure[] = [];
  const series: ScenarioSeries[] = [];
  const sinceStartS = (): number => roundTo((Date.now() - startedAt) / 1000, 2);
  let cluster: FlotillaProcessCluster | undefined;
  let nc: NatsConnection | undefined;
  let watch: GroupLeaderWatch | undefined;
  let client: FlotillaClient | undefined;
  try {
    if (context.quick) {
      notes.push(
        `Quick mode: ${plan.groups} groups instead of 10,000 (the full run takes about a minute ` +
          "on the 2-core machine), and a 10 s idle window.",
      );
    }
    const groupIds = Array.from({ length: plan.groups }, (_, i) => `kv-${i}`);
    cluster = await FlotillaProcessCluster.start({
      groups: plan.groups,
      durability: DURABILITY,
      natsServerBinary: context.natsServerBinary,
      tempRoot: context.tempRoot,
      nodeArgs: ["--tick-ms", String(TICK_MS), "--election-ticks", String(ELECTION_TICKS)],
      startNodes: false,
      // A node's `status` reply at 10,000 groups is about 1.5 MB, past NATS's default 1 MiB:
      // the quiescence check below needs it. With the default, `flotilla status` answers
      // TOO_LARGE on such a node (a known limit, docs/STATUS.md).
      maxPayloadBytes: 8 * 1024 * 1024,
    });
    nc = await connect({ servers: cluster.natsUrl, name: "bench-idle-failover" });
    // Open before any node runs: replicas publish changes only, never their state at rest.
    watch = await GroupLeaderWatch.start(nc, cluster.cluster);
    const spawnMs = performance.now();
    for (const nodeId of cluster.members) await cluster.startNode(nodeId);

    // 1. Startup: every group led, then quiet.
    await waitForStableLeaders(watch, groupIds, spawnMs + plan.startupTimeoutMs, context);
    // The last event before the quiet period: when the last group got (or changed) its leader.
    const allLedMs = watch.lastEventAtMs - spawnMs;
    measures.push({
      name: "startup-all-led-s",
      label: "spawn → last leadership event, every group led",
      value: roundTo(Math.max(0, allLedMs) / 1000, 1),
      unit: "s",
    });
    const counts = watch.leaderCounts(groupIds);
    context.log(`stable: leaders ${describeCounts(counts)}; ${watch.eventCount} events so far`);
    notes.push(`Leaders before the kill: ${describeCounts(counts)}.`);
    await reportQuiescence(nc, cluster, notes, context);

    // 2. The idle window: each node's CPU and RSS from /proc.
    // Startup's garbage and the last quiescing heartbeats settle first: the goal is about a
    // node at rest, not one just done electing ten thousand leaders.
    await sleep(plan.settleMs);
    const idle = await measureIdle(cluster, watch, plan.idleWindowMs);
    for (const [nodeId, usage] of idle.perNode) {
      measures.push({
        name: `idle-cpu-pct-${nodeId}`,
        label: `idle CPU of ${nodeId}`,
        value: roundTo(cpuPercent(usage), 2),
        unit: "% of a core",
      });
      measures.push({
        name: `idle-rss-mb-${nodeId}`,
        label: `idle RSS of ${nodeId} (max sampled)`,
        value: roundTo(usage.rssMbMaxPerProcess, 1),
        unit: "MB",
      });
    }
    const cpuMax = Math.max(...[...idle.perNode.values()].map(cpuPercent));
    const rssMax = Math.max(...[...idle.perNode.values()].map((u) => u.rssMbMaxPerProcess));
    measures.push({
      name: "idle-cpu-pct-max-per-node",
      label: "idle CPU, busiest node",
      value: roundTo(cpuMax, 2),
      unit: "% of a core",
      goal: `< ${CPU_GOAL_PCT} %`,
      met: cpuMax < CPU_GOAL_PCT,
    });
    measures.push({
      name: "idle-rss-mb-max-per-node",
      label: "idle RSS, largest node",
      value: roundTo(rssMax, 1),
      unit: "MB",
      goal: `< ${RSS_GOAL_MB} MB`,
      met: rssMax < RSS_GOAL_MB,
    });
    measures.push({
      name: "idle-cpu-pct-nats-server",
      label: "idle CPU of nats-server",
      value: roundTo(cpuPercent(idle.natsServer), 2),
      unit: "% of a core",
    });
    measures.push({
      name: "idle-leadership-events",
      label: "leadership events during the idle window",
      value: idle.eventsInWindow,
      unit: "events",
    });
    context.log(
      `idle: CPU max ${roundTo(cpuMax, 2)} % of a core, RSS max ${roundTo(rssMax, 1)} MB ` +
        `per node; ${idle.eventsInWindow} leadership events in the window`,
    );

    // 3. Failover: SIGKILL the node leading the most groups, write to every group at once.
    client = await FlotillaClient.connect({
      cluster: cluster.cluster,
      nats: { servers: cluster.natsUrl, name: "bench-idle-failover-client" },
      timeoutMs: plan.failoverTimeoutMs,
    });
    const failover = await killAndFailOver(
      cluster,
      watch,
      client,
      groupIds,
      plan,
      startedAtMs,
      context,
    );
    series.push({ name: "groups-led-after-kill", unit: "groups", points: failover.ledSeries });
    parameters["killed_node"] = failover.victim;
    parameters["killed_node_led_groups"] = failover.victimLed;
    const newLeader = sorted([...failover.newLeaderMs.values()]);
    const complete = newLeader.length === failover.victimLed;
    const leaderlessMax = complete ? (newLeader.at(-1) ?? 0) : null;
    measures.push({
      name: "leaderless-ms-max",
      label: "kill → every group it led has a new leader",
      value: leaderlessMax === null ? null : Math.round(leaderlessMax),
      unit: "ms",
      goal: `< ${LEADERLESS_GOAL_MS} ms`,
      met: leaderlessMax === null ? null : leaderlessMax < LEADERLESS_GOAL_MS,
    });
    measures.push(
      percentileMeasure("leaderless-ms-p50", "kill → new leader, p50 of groups", newLeader, 0.5),
    );
    measures.push(
      percentileMeasure("leaderless-ms-p99", "kill → new leader, p99 of groups", newLeader, 0.99),
    );
    measures.push({
      name: "groups-reelected",
      label: "groups it led that got a new leader in time",
      value: newLeader.length,
      unit: "groups",
    });
    const writes = sorted([...failover.writeMs.values()]);
    const victimWrites = sorted(
      [...failover.writeMs].filter(([g]) => failover.victimGroups.has(g)).map(([, t]) => t),
    );
    measures.push(
      percentileMeasure(
        "first-write-ms-p50",
        "kill → write committed, p50 of all groups",
        writes,
        0.5,
      ),
    );
    measures.push(
      percentileMeasure(
        "first-write-ms-p99",
        "kill → write committed, p99 of all groups",
        writes,
        0.99,
      ),
    );
    measures.push(
      percentileMeasure(
        "first-write-ms-max",
        "kill → write committed, max of all groups",
        writes,
        1,
      ),
    );
    measures.push(
      percentileMeasure(
        "first-write-ms-p50-reelected",
        "kill → write committed, p50 of the groups it led",
        victimWrites,
        0.5,
      ),
    );
    measures.push(
      percentileMeasure(
        "first-write-ms-max-reelected",
        "kill → write committed, max of the groups it led",
        victimWrites,
        1,
      ),
    );
    const otherWrites = sorted(
      [...failover.writeMs].filter(([g]) => !failover.victimGroups.has(g)).map(([, t]) => t),
    );
    measures.push(
      percentileMeasure(
        "first-write-ms-p50-unaffected",
        "kill → write committed, p50 of the groups it did not lead",
        otherWrites,
        0.5,
      ),
    );
    measures.push({
      name: "writes-committed",
      label: "groups whose write committed in time",
      value: writes.length,
      unit: "groups",
    });
    const errorKinds = Object.entries(failover.writeErrors);
    if (errorKinds.length > 0) {
      notes.push(`Writes that failed: ${errorKinds.map(([k, n]) => `${k} × ${n}`).join(", ")}.`);
    }
    notes.push(
      "Times are from just before SIGKILL to the arrival, at the harness, of the first " +
        "leadership event in a later term from another node (new leader), or of the write's " +
        "reply (committed). The write to every group is sent once the killed process is gone " +
        "(a few ms), all at once from one client, which retries through no-responders and " +
        "timeouts: that load shares the 2 cores with the elections.",
      `Groups without a leader when the failover phase ended: ${failover.leaderlessAtEnd}. ` +
        `The kill was at ${failover.killAtS} s (series groups-led-after-kill).`,
      "Leaders are read from the groups' `.events` subjects (one wildcard subscription), " +
        "because the control `status` reply of a node hosting thousands of groups exceeds " +
        "nats-server's 1 MiB max_payload (TOO_LARGE).",
      `The nodes start as users start them (\`--shards kv:${plan.groups}:kv:n1,n2,n3\`); ` +
        "each creates its groups' storage in one transaction. nats-server runs with an 8 MiB " +
        "max_payload so the quiescence check's `status` reply (about 1.5 MB at 10,000 groups) fits.",
    );
    const completed = complete && writes.length === plan.groups;
    return {
      ...SCENARIO,
      system: "flotilla",
      durability: DURABILITY,
      status: completed ? "ok" : "failed",
      error: completed
        ? null
        : `failover incomplete within ${plan.failoverTimeoutMs} ms: ${newLeader.length} of ` +
          `${failover.victimLed} groups re-elected, ${writes.length} of ${plan.groups} writes committed`,
      parameters,
      measures,
      series,
      notes,
      durationMs: Date.now() - startedAt,
    };
  } catch (error) {
    notes.push(`Failed at ${sinceStartS()} s into the scenario.`);
    return failedReport(SCENARIO, DURABILITY, startedAt, error, {
      parameters,
      measures,
      series,
      notes,
    });
  } finally {
    await client?.close().catch(() => undefined);
    watch?.close();
    await nc?.close().catch(() => undefined);
    await cluster?.stop();
  }
}

/**
 * Waits until every group has a leader and no leadership event arrived for
 * {@link STABLE_QUIET_MS}; returns that moment. Throws past `deadlineMs`.
 */
async function waitForStableLeaders(
  watch: GroupLeaderWatch,
  groupIds: readonly string[],
  deadlineMs: number,
  context: ScenarioContext,
): Promise<number> {
  let nextLogMs = performance.now() + 10_000;
  for (;;) {
    const now = performance.now();
    const led = watch.ledCount(groupIds);
    if (led === groupIds.length && now - watch.lastEventAtMs >= STABLE_QUIET_MS) return now;
    if (now > deadlineMs) {
      throw new Error(
        `startup: ${led} of ${groupIds.length} groups led and ${watch.eventCount} events when ` +
          "the bound passed",
      );
    }
    if (now > nextLogMs) {
      context.log(`startup: ${led} of ${groupIds.length} groups led, ${watch.eventCount} events`);
      nextLogMs = now + 10_000;
    }
    await sleep(POLL_MS);
  }
}

/** Asks each node's `status` for its quiesced replicas; notes why when the reply cannot come. */
async function reportQuiescence(
  nc: NatsConnection,
  cluster: FlotillaProcessCluster,
  notes: string[],
  context: ScenarioContext,
): Promise<void> {
  const lines: string[] = [];
  for (const nodeId of cluster.members) {
    try {
      const status = await nodeStatus(nc, cluster.cluster, nodeId, CONTROL_TIMEOUT_MS);
      const quiesced = status.groups.filter((replica) => replica.quiesced).length;
      lines.push(`${nodeId} ${quiesced}/${status.groups.length}`);
    } catch (error) {
      lines.push(`${nodeId} unknown (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  const line = `Quiesced replicas per node before the idle window (control status): ${lines.join("; ")}.`;
  context.log(line);
  notes.push(line);
}

/** Each node's (and nats-server's) CPU and RSS over the idle window. */
async function measureIdle(
  cluster: FlotillaProcessCluster,
  watch: GroupLeaderWatch,
  windowMs: number,
): Promise<{
  perNode: Map<string, ServerUsage>;
  natsServer: ServerUsage;
  eventsInWindow: number;
}> {
  const samplers = new Map<string, ServerSampler>();
  for (const nodeId of cluster.members) {
    const pid = cluster.process(nodeId)?.pid;
    if (pid === undefined) throw new Error(`${nodeId} is not running before the idle window`);
    samplers.set(nodeId, new ServerSampler([pid]));
  }
  const natsPid = cluster.server.pid;
  if (natsPid === undefined) throw new Error("nats-server has no pid");
  const natsSampler = new ServerSampler([natsPid]);
  const eventsBefore = watch.eventCount;
  for (const sampler of samplers.values()) sampler.start();
  natsSampler.start();
  await sleep(windowMs);
  const perNode = new Map([...samplers].map(([nodeId, sampler]) => [nodeId, sampler.stop()]));
  return {
    perNode,
    natsServer: natsSampler.stop(),
    eventsInWindow: watch.eventCount - eventsBefore,
  };
}

/** Kills the node leading the most groups and times the new leaders and one write per group. */
async function killAndFailOver(
  cluster: FlotillaProcessCluster,
  watch: GroupLeaderWatch,
  client: FlotillaClient,
  groupIds: readonly string[],
  plan: Plan,
  startedAtMs: number,
  context: ScenarioContext,
): Promise<FailoverTimes> {
  const leaderCounts = watch.leaderCounts(groupIds);
  const [victim, victimLed] = [...leaderCounts].sort((a, b) => b[1] - a[1])[0] ?? ["n1", 0];
  const termAtKill = new Map<string, number>();
  for (const groupId of groupIds) {
    const leader = watch.leaderOf(groupId);
    if (leader?.nodeId === victim) termAtKill.set(groupId, leader.term);
  }
  const victimGroups = new Set(termAtKill.keys());
  const excluded = new Set([victim]);
  const newLeaderMs = new Map<string, number>();
  const writeMs = new Map<string, number>();
  const writeErrors: Record<string, number> = {};
  let killMs = 0;
  const stopListening = watch.onEvent((arrival: LeadershipArrival) => {
    const term = termAtKill.get(arrival.groupId);
    if (
      term !== undefined &&
      arrival.nodeId !== victim &&
      arrival.role === "leader" &&
      arrival.term > term &&
      !newLeaderMs.has(arrival.groupId)
    ) {
      newLeaderMs.set(arrival.groupId, arrival.atMs - killMs);
    }
  });
  const ledSeries: [number, number][] = [];
  const seriesTimer = setInterval(() => {
    ledSeries.push([
      roundTo((performance.now() - startedAtMs) / 1000, 2),
      watch.ledCount(groupIds, excluded),
    ]);
  }, LEADER_SERIES_MS);
  try {
    context.log(`killing ${victim}, which leads ${victimLed} of ${groupIds.length} groups`);
    killMs = performance.now();
    await cluster.kill(victim);
    const writes = Promise.all(
      groupIds.map((groupId) =>
        client
          .group(groupId)
          .propose({ op: "put", key: `failover-${groupId}`, value: "after-kill" })
          .then(
            () => {
              writeMs.set(groupId, performance.now() - killMs);
            },
            (error: unknown) => {
              const kind = error instanceof Error ? error.name : "unknown";
              writeErrors[kind] = (writeErrors[kind] ?? 0) + 1;
            },
          ),
      ),
    );
    const deadlineMs = killMs + plan.failoverTimeoutMs;
    let settled = false;
    void writes.then(() => (settled = true));
    let nextLogMs = performance.now() + 5_000;
    while (performance.now() < deadlineMs) {
      if (settled && newLeaderMs.size === victimGroups.size) break;
      if (performance.now() > nextLogMs) {
        context.log(
          `failover: ${newLeaderMs.size} of ${victimGroups.size} re-elected, ` +
            `${writeMs.size} of ${groupIds.length} writes committed`,
        );
        nextLogMs = performance.now() + 5_000;
      }
      await sleep(50);
    }
    context.log(
      `failover: ${newLeaderMs.size} of ${victimGroups.size} re-elected, ` +
        `${writeMs.size} of ${groupIds.length} writes committed after ${ms(killMs)} ms`,
    );
  } finally {
    clearInterval(seriesTimer);
    stopListening();
  }
  return {
    victim,
    victimLed,
    leaderCounts,
    newLeaderMs,
    writeMs: new Map(writeMs),
    writeErrors: { ...writeErrors },
    victimGroups,
    ledSeries,
    killAtS: roundTo((killMs - startedAtMs) / 1000, 2),
    leaderlessAtEnd: groupIds.length - watch.ledCount(groupIds, excluded),
  };
}

function percentileMeasure(
  name: string,
  label: string,
  sortedValues: readonly number[],
  quantile: number,
): ScenarioMeasure {
  const value = sortedValues.length === 0 ? null : nearestRankPercentile(sortedValues, quantile);
  return { name, label, value: value === null ? null : Math.round(value), unit: "ms" };
}

function cpuPercent(usage: ServerUsage): number {
  return usage.wallMs > 0 ? (usage.cpuMs / usage.wallMs) * 100 : 0;
}

function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

function ms(sinceMs: number): number {
  return Math.round(performance.now() - sinceMs);
}

function describeCounts(counts: ReadonlyMap<string, number>): string {
  return [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([nodeId, n]) => `${nodeId} ${n}`)
    .join(", ");
}

/** Scenario 3 of issue 7. */
const idleFailover: FlotillaScenario = { ...SCENARIO, run };
export default idleFailover;
