/**
 * Issue 7, scenario 4: restart a node whose LMDB holds 1 M entries over 64 groups, and time
 * until it serves.
 *
 *   npx tsx --conditions=@flotilla/source bench/run-scenario.ts recovery [--quick]
 *
 * Three nodes host `kv-0 … kv-63` with snapshots and compaction effectively off, so every entry
 * stays in each node's log. A closed loop of 1,024 writes in flight (this process, one
 * FlotillaClient) writes the entries; then one node is SIGKILLed, the others elect leaders, and
 * the node is started again on the same data directory. Measured from its spawn: when it answers
 * a control request, when every one of its 64 replicas has applied the group's commit index of
 * the moment of the restart, and when it leads a group and a write through it commits.
 */
import { stat } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { FlotillaClient } from "@flotilla/client";
import type { ReplicaStatus } from "@flotilla/runtime";
import { roundTo } from "../lib/round-to.js";
import { procStat } from "../lib/server-sampler.js";
import { sleep } from "../lib/sleep.js";
import { FlotillaProcessCluster } from "../systems/flotilla-cluster.js";
import type { Durability } from "../systems/system-cluster.js";
import { controlRequest, nodeStatus } from "./control.js";
import {
  failedReport,
  type FlotillaScenario,
  type ScenarioContext,
  type ScenarioMeasure,
  type ScenarioReport,
  type ScenarioSeries,
} from "./scenario.js";

const SCENARIO = { scenario: 4, title: "Recovery: restart a node holding 1 M entries" };
const DURABILITY: Durability = "strict";
const GROUPS = 64;
const IN_FLIGHT = 1_024;
const VALUE_BYTES = 100;
/**
 * Keys cycle over this many: the log holds every write, the `kv` map only the latest value of
 * each key, so three nodes' state machines stay small while their logs grow to 1 M entries.
 */
const KEY_SPACE = 65_536;
/** Far above any group's entry count: no snapshot, hence no compaction (issue 7's "1 M in LMDB"). */
const NO_SNAPSHOT_ENTRIES = 1_000_000_000;
const RESTARTED = "n3";
const CONTROL_TIMEOUT_MS = 2_000;
/** How often the restarting node is asked for its status. */
const POLL_MS = 50;
const BYTES_PER_MB = 1024 * 1024;

interface Plan {
  readonly entries: number;
  readonly writeTimeoutMs: number;
  readonly restartTimeoutMs: number;
}

function planFor(quick: boolean): Plan {
  return quick
    ? { entries: 100_000, writeTimeoutMs: 90_000, restartTimeoutMs: 60_000 }
    : { entries: 1_000_000, writeTimeoutMs: 360_000, restartTimeoutMs: 180_000 };
}

async function run(context: ScenarioContext): Promise<ScenarioReport> {
  const startedAt = Date.now();
  const plan = planFor(context.quick);
  const parameters: Record<string, number | string> = {
    groups: GROUPS,
    entries: plan.entries,
    in_flight: IN_FLIGHT,
    value_bytes: VALUE_BYTES,
    key_space: KEY_SPACE,
    durability: DURABILITY,
    snapshot_entries: NO_SNAPSHOT_ENTRIES,
    restarted_node: RESTARTED,
  };
  const notes: string[] = [];
  const loadAverage = loadavg()
    .map((load) => load.toFixed(2))
    .join(" / ");
  const measures: ScenarioMeasure[] = [];
  const series: ScenarioSeries[] = [];
  let cluster: FlotillaProcessCluster | undefined;
  let nc: NatsConnection | undefined;
  let client: FlotillaClient | undefined;
  try {
    if (context.quick) notes.push("Quick mode: 100,000 entries instead of 1,000,000.");
    cluster = await FlotillaProcessCluster.start({
      groups: GROUPS,
      durability: DURABILITY,
      natsServerBinary: context.natsServerBinary,
      tempRoot: context.tempRoot,
      nodeArgs: [
        "--snapshot-entries",
        String(NO_SNAPSHOT_ENTRIES),
        "--compaction-trailing",
        String(NO_SNAPSHOT_ENTRIES),
      ],
    });
    nc = await connect({ servers: cluster.natsUrl, name: "bench-recovery" });
    client = await FlotillaClient.connect({
      cluster: cluster.cluster,
      nats: nc,
      timeoutMs: 30_000,
    });
    const shardSet = cluster.shards;
    const groupIds = Array.from({ length: GROUPS }, (_, i) => `${shardSet}-${i}`);

    // 1. The entries, closed loop.
    const written = await writeEntries(client, shardSet, groupIds, plan, startedAt, context);
    series.push({ name: "entries-acknowledged", unit: "entries", points: written.progress });
    const writeRate = written.acknowledged / (written.elapsedMs / 1000);
    measures.push({
      name: "write-ops-per-s",
      label: `write rate (${IN_FLIGHT} in flight, ${VALUE_BYTES}-byte values)`,
      value: Math.round(writeRate),
      unit: "ops/s",
    });
    measures.push({
      name: "entries-written",
      label: "writes acknowledged",
      value: written.acknowledged,
      unit: "entries",
    });
    if (Object.keys(written.errors).length > 0) {
      notes.push(
        `Write errors (retried as new writes): ${Object.entries(written.errors)
          .map(([name, n]) => `${name} × ${n}`)
          .join(", ")}.`,
      );
    }
    context.log(
      `${written.acknowledged} entries in ${roundTo(written.elapsedMs / 1000, 1)} s ` +
        `(${Math.round(writeRate)} ops/s)`,
    );
    if (written.acknowledged < plan.entries) {
      // A loaded machine may not reach the count in time: restart on what was written, and say
      // so, rather than measure nothing.
      notes.push(
        `The write phase hit its ${plan.writeTimeoutMs / 1000} s bound: the node restarts on ` +
          `${written.acknowledged} acknowledged writes, not ${plan.entries}.`,
      );
    }
    const before = await nodeStatus(nc, cluster.cluster, RESTARTED, CONTROL_TIMEOUT_MS);
    const logEntries = before.groups.reduce((sum, g) => sum + g.lastIndex, 0);
    measures.push({
      name: "log-entries-restarted-node",
      // Every log starts at index 1: no snapshot was taken, so nothing was compacted.
      label: `log entries of ${RESTARTED} before the kill (last index, all groups)`,
      value: logEntries,
      unit: "entries",
    });
    const rssBeforeMb = rssMb(cluster.process(RESTARTED)?.pid);

    // 2. SIGKILL, the survivors elect, the data file is measured at rest.
    await cluster.kill(RESTARTED);
    const dataFile = join(cluster.dataDir(RESTARTED), "data.mdb");
    const file = await stat(dataFile).catch(() => undefined);
    measures.push({
      name: "lmdb-data-mb",
      label: `LMDB data file of ${RESTARTED} (data.mdb, apparent size)`,
      value: file === undefined ? null : roundTo(file.size / BYTES_PER_MB, 1),
      unit: "MB",
    });
    measures.push({
      name: "lmdb-data-mb-allocated",
      label: `LMDB data file of ${RESTARTED}, blocks allocated`,
      value: file === undefined ? null : roundTo((file.blocks * 512) / BYTES_PER_MB, 1),
      unit: "MB",
    });
    const survivors = cluster.members.filter((nodeId) => nodeId !== RESTARTED);
    const leaders = await waitForLeaders(nc, cluster, survivors, groupIds, 30_000);
    const targetCommit = new Map([...leaders].map(([g, l]) => [g, l.status.commitIndex]));

    // 3. Restart on the same data directory, poll it from its spawn.
    const spawnMs = performance.now();
    await cluster.startNode(RESTARTED);
    const restartedPid = cluster.process(RESTARTED)?.pid;
    const recovery = await pollRecovery(nc, cluster, targetCommit, spawnMs, plan, context);
    series.push({ name: "replicas-caught-up", unit: "groups", points: recovery.caughtUpSeries });
    series.push({ name: "entries-applied", unit: "entries", points: recovery.appliedSeries });
    measures.push({
      name: "restart-answers-ms",
      label: "spawn → answers a control request",
      value: recovery.answersMs === null ? null : Math.round(recovery.answersMs),
      unit: "ms",
    });
    measures.push({
      name: "restart-caught-up-ms",
      label: "spawn → all 64 replicas applied the commit index at restart",
      value: recovery.caughtUpMs === null ? null : Math.round(recovery.caughtUpMs),
      unit: "ms",
    });
    measures.push({
      name: "restart-status-gap-ms-max",
      label: `longest wait between two status answers of ${RESTARTED} while it caught up`,
      value: Math.round(recovery.answerGapMsMax),
      unit: "ms",
    });
    if (recovery.caughtUpMs === null) {
      throw new Error(
        `${RESTARTED} did not catch up within ${plan.restartTimeoutMs} ms ` +
          `(${recovery.caughtUp} of ${GROUPS} groups)`,
      );
    }

    // 4. Serve: lead a group and commit a write through it, then a linearizable read.
    const servedGroup = groupIds[0] ?? "kv-0";
    const serve = await leadAndWrite(nc, client, cluster, servedGroup, leaders, spawnMs);
    measures.push({
      name: "restart-serves-ms",
      label: `spawn → leads ${servedGroup} and a write through it committed`,
      value: Math.round(serve.servedMs),
      unit: "ms",
    });
    measures.push({
      name: "transfer-write-ms",
      label: `transfer-leader of ${servedGroup} to it → write committed`,
      value: Math.round(serve.transferWriteMs),
      unit: "ms",
    });
    measures.push({
      name: "rss-mb-before-kill",
      label: `RSS of ${RESTARTED} before the kill`,
      value: rssBeforeMb,
      unit: "MB",
    });
    measures.push({
      name: "rss-mb-after-restart",
      label: `RSS of ${RESTARTED} once caught up and serving`,
      value: rssMb(restartedPid),
      unit: "MB",
    });
    notes.push(
      `"Serves" is defined as: every one of its ${GROUPS} replicas has applied at least the ` +
        "commit index its group's leader reported just before the restart (so it could lead " +
        "any of them without a catch-up), then a `transfer-leader` of " +
        `${servedGroup} to it, and a write proposed through the client committed while it ` +
        `leads (checked in its status), and a linearizable read of that key answered ` +
        `${JSON.stringify(serve.readValue)}. The transfer starts after the catch-up, so ` +
        "restart-serves-ms = caught-up + transfer + write.",
      `RSS counts the pages of LMDB's memory map the process touched (data.mdb above) besides ` +
        "the JavaScript heap.",
      `Load average at the start: ${loadAverage}; the machine is shared, so the write rate ` +
        "moves a lot between runs.",
      "The node is restarted once every group has a leader on the other two (their " +
        "commit index is then settled: no writes run during the restart).",
      `Entries are ${VALUE_BYTES}-byte puts over ${KEY_SPACE} keys (the log holds every ` +
        "write; the state machine the latest value per key); snapshots off " +
        `(--snapshot-entries ${NO_SNAPSHOT_ENTRIES}; the 64 MiB per-group byte threshold is ` +
        "not reached), so the restarted node re-applies its whole log from index 1.",
    );
    return {
      ...SCENARIO,
      system: "flotilla",
      durability: DURABILITY,
      status: "ok",
      error: null,
      parameters,
      measures,
      series,
      notes,
      durationMs: Date.now() - startedAt,
    };
  } catch (error) {
    return failedReport(SCENARIO, DURABILITY, startedAt, error, {
      parameters,
      measures,
      series,
      notes,
    });
  } finally {
    await client?.close().catch(() => undefined);
    await nc?.close().catch(() => undefined);
    await cluster?.stop();
  }
}

/** The closed loop's outcome. */
interface Written {
  readonly acknowledged: number;
  readonly elapsedMs: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly progress: readonly (readonly [number, number])[];
}

/**
 * Writes `plan.entries` puts with {@link IN_FLIGHT} in flight (each slot sends the next once the
 * last resolves), after one write per group so every group has a leader. A failed write is
 * counted and replaced by a new one: the count is of acknowledged writes.
 */
async function writeEntries(
  client: FlotillaClient,
  shardSet: string,
  groupIds: readonly string[],
  plan: Plan,
  startedAt: number,
  context: ScenarioContext,
): Promise<Written> {
  await Promise.all(
    groupIds.map((groupId) =>
      client.group(groupId).propose({ op: "put", key: `ready-${groupId}`, value: "ready" }),
    ),
  );
  const shards = client.shards(shardSet, groupIds.length);
  const value = "v".repeat(VALUE_BYTES);
  const errors: Record<string, number> = {};
  const progress: [number, number][] = [];
  const startMs = performance.now();
  const deadlineMs = startMs + plan.writeTimeoutMs;
  let issued = 0;
  let acknowledged = 0;
  const slot = async (): Promise<void> => {
    while (issued < plan.entries && performance.now() < deadlineMs) {
      const key = `k-${issued++ % KEY_SPACE}`;
      try {
        await shards.propose(key, { op: "put", key, value });
        acknowledged++;
      } catch (error) {
        issued--; // Not acknowledged: another write takes its place.
        const name = error instanceof Error ? error.name : "unknown";
        errors[name] = (errors[name] ?? 0) + 1;
        await sleep(10);
      }
    }
  };
  const timer = setInterval(() => {
    progress.push([roundTo((Date.now() - startedAt) / 1000, 1), acknowledged]);
  }, 1_000);
  const logTimer = setInterval(() => context.log(`written ${acknowledged}`), 15_000);
  try {
    await Promise.all(Array.from({ length: IN_FLIGHT }, () => slot()));
  } finally {
    clearInterval(timer);
    clearInterval(logTimer);
  }
  return { acknowledged, elapsedMs: performance.now() - startMs, errors, progress };
}

/** A group's leader as its status tells it. */
interface LeaderStatus {
  readonly nodeId: string;
  readonly status: ReplicaStatus;
}

/** Polls `nodes` until each of `groupIds` has a leader among them; bounded. */
async function waitForLeaders(
  nc: NatsConnection,
  cluster: FlotillaProcessCluster,
  nodes: readonly string[],
  groupIds: readonly string[],
  timeoutMs: number,
): Promise<Map<string, LeaderStatus>> {
  const deadlineMs = performance.now() + timeoutMs;
  for (;;) {
    const leaders = new Map<string, LeaderStatus>();
    for (const nodeId of nodes) {
      const status = await nodeStatus(nc, cluster.cluster, nodeId, CONTROL_TIMEOUT_MS).catch(
        () => undefined,
      );
      for (const replica of status?.groups ?? []) {
        if (replica.role === "leader") leaders.set(replica.groupId, { nodeId, status: replica });
      }
    }
    if (groupIds.every((groupId) => leaders.has(groupId))) return leaders;
    if (performance.now() > deadlineMs) {
      throw new Error(`${leaders.size} of ${groupIds.length} groups led after the kill`);
    }
    await sleep(200);
  }
}

/** What polling the restarted node saw, in ms since its spawn. */
interface Recovery {
  readonly answersMs: number | null;
  readonly caughtUpMs: number | null;
  readonly caughtUp: number;
  /** The longest time between two answers once it first answered: its event loop blocked. */
  readonly answerGapMsMax: number;
  readonly caughtUpSeries: readonly (readonly [number, number])[];
  readonly appliedSeries: readonly (readonly [number, number])[];
}

async function pollRecovery(
  nc: NatsConnection,
  cluster: FlotillaProcessCluster,
  targetCommit: ReadonlyMap<string, number>,
  spawnMs: number,
  plan: Plan,
  context: ScenarioContext,
): Promise<Recovery> {
  const deadlineMs = spawnMs + plan.restartTimeoutMs;
  const caughtUpSeries: [number, number][] = [];
  const appliedSeries: [number, number][] = [];
  let answersMs: number | null = null;
  let lastAnswerMs = 0;
  let answerGapMsMax = 0;
  let caughtUp = 0;
  while (performance.now() < deadlineMs) {
    let status;
    try {
      status = await nodeStatus(nc, cluster.cluster, RESTARTED, CONTROL_TIMEOUT_MS);
    } catch {
      // Not up yet (no responders) or too busy to answer in time: ask again.
      await sleep(POLL_MS);
      continue;
    }
    const atMs = performance.now() - spawnMs;
    if (answersMs === null) {
      answersMs = atMs;
      context.log(`${RESTARTED} answers ${Math.round(atMs)} ms after spawn`);
    } else {
      answerGapMsMax = Math.max(answerGapMsMax, atMs - lastAnswerMs);
    }
    lastAnswerMs = atMs;
    caughtUp = 0;
    let applied = 0;
    for (const replica of status.groups) {
      applied += replica.appliedIndex;
      if (replica.appliedIndex >= (targetCommit.get(replica.groupId) ?? Infinity)) caughtUp++;
    }
    caughtUpSeries.push([roundTo(atMs / 1000, 2), caughtUp]);
    appliedSeries.push([roundTo(atMs / 1000, 2), applied]);
    if (caughtUp === targetCommit.size) {
      context.log(`${RESTARTED} caught up ${Math.round(atMs)} ms after spawn`);
      return {
        answersMs,
        caughtUpMs: atMs,
        caughtUp,
        answerGapMsMax,
        caughtUpSeries,
        appliedSeries,
      };
    }
    await sleep(POLL_MS);
  }
  return { answersMs, caughtUpMs: null, caughtUp, answerGapMsMax, caughtUpSeries, appliedSeries };
}

/**
 * Moves `groupId`'s leadership to the restarted node and commits a write through it: the
 * transfer request to the current leader, a wait (bounded) until the restarted node's status
 * says it leads, then a put and a linearizable get through the client.
 */
async function leadAndWrite(
  nc: NatsConnection,
  client: FlotillaClient,
  cluster: FlotillaProcessCluster,
  groupId: string,
  leaders: ReadonlyMap<string, LeaderStatus>,
  spawnMs: number,
): Promise<{ servedMs: number; transferWriteMs: number; readValue: unknown }> {
  const transferMs = performance.now();
  const deadlineMs = transferMs + 15_000;
  let leaderId = leaders.get(groupId)?.nodeId;
  for (;;) {
    if (performance.now() > deadlineMs) {
      throw new Error(`${RESTARTED} did not become the leader of ${groupId} after a transfer`);
    }
    if (leaderId !== undefined && leaderId !== RESTARTED) {
      await controlRequest(
        nc,
        cluster.cluster,
        leaderId,
        { op: "transfer-leader", groupId, to: RESTARTED },
        CONTROL_TIMEOUT_MS,
      ).catch(() => undefined);
    }
    await sleep(POLL_MS);
    const mine = await nodeStatus(nc, cluster.cluster, RESTARTED, CONTROL_TIMEOUT_MS).catch(
      () => undefined,
    );
    const replica = mine?.groups.find((g) => g.groupId === groupId);
    if (replica?.role === "leader") break;
    // The leader may have changed meanwhile: retry at the one the restarted node knows.
    leaderId = replica?.leaderId ?? leaderId;
  }
  const key = `served-${groupId}`;
  await client.group(groupId).propose({ op: "put", key, value: "served" });
  const writtenMs = performance.now();
  const after = await nodeStatus(nc, cluster.cluster, RESTARTED, CONTROL_TIMEOUT_MS);
  if (after.groups.find((g) => g.groupId === groupId)?.role !== "leader") {
    throw new Error(`${RESTARTED} lost the leadership of ${groupId} during the write`);
  }
  const readValue = await client.group(groupId).read({ op: "get", key });
  return {
    servedMs: writtenMs - spawnMs,
    transferWriteMs: writtenMs - transferMs,
    readValue,
  };
}

function rssMb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  const stat = procStat(pid);
  return stat === undefined ? null : roundTo(stat.rssBytes / BYTES_PER_MB, 1);
}

/** Scenario 4 of issue 7. */
const recovery: FlotillaScenario = { ...SCENARIO, run };
export default recovery;
