/**
 * `npm run chaos`: the chaos run on real processes (issue 12; docs/reliability.md). It starts a
 * 3-server NATS cluster, `flotilla node` processes hosting `chaos` groups, a fencing sink and
 * client processes; runs the workload under a seeded nemesis; heals and waits for a quiet
 * cluster (bounded); then checks the history for linearizability, lost writes, the committed
 * streams, convergence and fencing, and ends with one summary line and a non-zero exit on any
 * violation. Every process it starts is stopped, on every exit path.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { FlotillaClient } from "@flotilla/client";
import {
  CHAOS_USAGE,
  ChaosUsageError,
  parseChaosArgs,
  replayCommand,
  type ChaosArgs,
} from "./chaos-args.js";
import { ChaosCluster, ELECTION_TIMEOUT_MS, REPO } from "./chaos-cluster.js";
import { ChildReaper } from "./child-reaper.js";
import { ClientFleet } from "./client-fleet.js";
import { checkLinearizability } from "./check-linearizability.js";
import { collectFinalStates } from "./final-states.js";
import { checkFencing } from "./fencing-check.js";
import type { HistoryRecord } from "./history-record.js";
import { ackedValuesByGroup, findLostWrites } from "./lost-writes-check.js";
import { Nemesis } from "./nemesis.js";
import { nemesisSchedule } from "./nemesis-schedule.js";
import type { SinkRecord } from "./sink-process.js";
import { checkStreams } from "./stream-check.js";
import { END_KEY, type SubscriberRecord } from "./stream-record.js";
import { describeChecks, formatSummary, runFailed, type ChaosSummary } from "./chaos-summary.js";
import { planWorkload } from "./workload-plan.js";

/** Bound on one client operation, retries included. */
const OP_TIMEOUT_MS = 5_000;
/** Bound on the quiet period: every group led and every member caught up. */
const QUIET_BOUND_MS = 60_000;
/** Bound on the subscribers reading to the end marker. */
const STREAM_END_BOUND_MS = 30_000;
/** Linearizability search budget per key. */
const BUDGET_MS_PER_KEY = 5_000;
const PROGRESS_EVERY_MS = 10_000;
const SUBSCRIBERS_PER_GROUP = 2;

function say(line: string): void {
  console.log(`chaos: ${line}`);
}

async function run(args: ChaosArgs, out: string): Promise<ChaosSummary> {
  const reaper = new ChildReaper();
  const clusterName = `chaos${args.seed}`;
  const started = Date.now();
  say(`starting ${args.nodes} nodes × ${args.groups} groups, 3 NATS servers, results in ${out}`);
  const cluster = await ChaosCluster.start(
    { nodes: args.nodes, groups: args.groups, cluster: clusterName, out },
    reaper,
  );
  let fleet: ClientFleet | undefined;
  try {
    const plans = planWorkload({
      groupIds: cluster.groupIds,
      clients: args.clients,
      processes: args.clientProcesses,
      subscribersPerGroup: SUBSCRIBERS_PER_GROUP,
    });
    fleet = await ClientFleet.start(
      plans,
      {
        cluster: clusterName,
        natsUrls: cluster.nats.urls,
        seed: args.seed,
        opTimeoutMs: OP_TIMEOUT_MS,
        out,
      },
      reaper,
    );
    say(
      `up in ${((Date.now() - started) / 1000).toFixed(1)} s; workload and nemesis for ${args.durationS} s`,
    );

    const nemesis = new Nemesis(cluster, join(out, "faults.jsonl"), say);
    const schedule = nemesisSchedule(args.seed, args.durationS * 1000, ELECTION_TIMEOUT_MS);
    const workloadStart = Date.now();
    const ticker = setInterval(() => {
      const { ops, acked } = fleet?.progress() ?? { ops: 0, acked: 0 };
      const t = ((Date.now() - workloadStart) / 1000).toFixed(0);
      say(`[${t}s] ops=${ops} acked=${acked}`);
    }, PROGRESS_EVERY_MS);
    try {
      await nemesis.play(schedule, () => Date.now() - workloadStart > args.durationS * 1000);
      const left = args.durationS * 1000 - (Date.now() - workloadStart);
      if (left > 0) await delay(left);
    } finally {
      clearInterval(ticker);
    }

    say("stopping the workload; healing (quiet period)");
    await fleet.stopWorkload(OP_TIMEOUT_MS + 30_000);
    const quietStart = Date.now();
    // A cluster that does not heal is a failure of the run, but the checks still run on what
    // was recorded: they say more about it than the timeout alone.
    let quietProblem: string | undefined;
    try {
      await nemesis.healAll();
      await cluster.nodes.waitForLeaders(cluster.groupIds, QUIET_BOUND_MS);
      await writeEndMarkers(cluster, clusterName, args.seed);
      await cluster.nodes.waitForCatchUp(cluster.groupIds, QUIET_BOUND_MS);
      say(`quiet after ${((Date.now() - quietStart) / 1000).toFixed(1)} s`);
    } catch (error) {
      quietProblem = `the cluster did not heal within the quiet period: ${String(error)}`;
      say(quietProblem);
      writeFileSync(
        join(out, "status-at-failure.json"),
        JSON.stringify(Object.fromEntries(await cluster.nodes.statuses()), null, 2),
      );
    }
    const unfinished = await fleet.finishStreams(
      quietProblem === undefined ? STREAM_END_BOUND_MS : 5_000,
    );
    if (unfinished.length > 0) say(`subscribers short of the end marker: ${unfinished.join(", ")}`);
    const final = await collectFinalStates(cluster, nemesis.removedMembers());
    await cluster.stopSink();
    return await check(args, out, nemesis, final, quietProblem);
  } finally {
    fleet?.dispose();
    await writeNodeLogs(cluster, out);
    await cluster.dispose();
    reaper.killAll();
  }
}

/** Writes the end marker to every group: the last write, where every subscriber stops. */
async function writeEndMarkers(
  cluster: ChaosCluster,
  clusterName: string,
  seed: number,
): Promise<void> {
  const client = await FlotillaClient.connect({
    cluster: clusterName,
    nats: { servers: cluster.nats.urls, maxReconnectAttempts: -1, reconnectTimeWait: 100 },
    timeoutMs: 30_000,
  });
  try {
    await Promise.all(
      cluster.groupIds.map((groupId) =>
        client.group(groupId).propose({ op: "put", key: END_KEY, value: `end-${seed}-${groupId}` }),
      ),
    );
  } finally {
    await client.close();
  }
}

async function check(
  args: ChaosArgs,
  out: string,
  nemesis: Nemesis,
  final: Awaited<ReturnType<typeof collectFinalStates>>,
  quietProblem: string | undefined,
): Promise<ChaosSummary> {
  const records = mergeHistories(out);
  say(`history: ${records.length} operations; checking`);
  const subscribers = readStreams(out);
  const acked = ackedValuesByGroup(records);
  const streams = checkStreams(subscribers, acked);
  const lost = findLostWrites(records, final.states, streams.valuesByGroup);
  const acts = readJsonLines<SinkRecord>(join(out, "acts.jsonl"));
  const fencing = checkFencing(acts);
  const linearizability = checkLinearizability(records, BUDGET_MS_PER_KEY);
  const summary: ChaosSummary = {
    args,
    ops: records.length,
    acked: records.filter((record) => record.return !== null).length,
    lost,
    linearizability,
    streams,
    convergence: final.convergence,
    fencing,
    pausedALeader: nemesis.pausedALeader,
    faults: nemesis.counts,
    kinds: [...nemesis.counts.keys()].sort(),
    ...(quietProblem === undefined ? {} : { quietProblem }),
  };
  writeFileSync(
    join(out, "summary.json"),
    JSON.stringify({ ...summary, faults: Object.fromEntries(nemesis.counts) }, null, 2),
  );
  return summary;
}

/** Merges the client processes' histories into `history.jsonl`, ordered by call time. */
function mergeHistories(out: string): HistoryRecord[] {
  const records = readdirSync(out)
    .filter((name) => /^history-p\d+\.jsonl$/.test(name))
    .flatMap((name) => readJsonLines<HistoryRecord>(join(out, name)))
    .sort((a, b) => a.call - b.call);
  writeFileSync(join(out, "history.jsonl"), records.map((r) => `${JSON.stringify(r)}\n`).join(""));
  return records;
}

function readStreams(out: string): SubscriberRecord[] {
  return readdirSync(out)
    .filter((name) => /^streams-p\d+\.json$/.test(name))
    .flatMap(
      (name) =>
        (JSON.parse(readFileSync(join(out, name), "utf8")) as { subscribers: SubscriberRecord[] })
          .subscribers,
    );
}

function readJsonLines<T>(file: string): T[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as T);
}

async function writeNodeLogs(cluster: ChaosCluster, out: string): Promise<void> {
  for (const nodeId of cluster.nodes.nodeIds) {
    writeFileSync(join(out, `node-${nodeId}.log`), cluster.nodes.logSince(nodeId, 0));
  }
  await Promise.resolve();
}

function resultsFolder(args: ChaosArgs): string {
  const out =
    args.out ??
    join(
      REPO,
      "chaos-results",
      `${new Date().toISOString().replace(/[:.]/g, "-")}-seed${args.seed}`,
    );
  mkdirSync(out, { recursive: true });
  return out;
}

async function main(argv: readonly string[]): Promise<number> {
  let args: ChaosArgs;
  try {
    args = parseChaosArgs(argv, Date.now());
  } catch (error) {
    if (error instanceof ChaosUsageError) {
      console.error(`${error.message}\n${CHAOS_USAGE}`);
      return 2;
    }
    throw error;
  }
  if (args.seedDerived) say(`no --seed given: seed ${args.seed} (from the clock)`);
  const out = resultsFolder(args);
  let summary: ChaosSummary;
  try {
    summary = await run(args, out);
  } catch (error) {
    console.error("chaos: the run could not complete:", error);
    console.log(`replay: ${replayCommand(args)}`);
    return 1;
  }
  const failures = runFailed(summary);
  for (const failure of failures) say(`VIOLATION ${failure}`);
  say(describeChecks(summary));
  console.log(`replay: ${replayCommand(args)}`);
  console.log(formatSummary(summary));
  return failures.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error("chaos: the run failed:", error);
    process.exit(1);
  },
);
