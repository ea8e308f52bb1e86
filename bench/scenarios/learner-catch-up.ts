/**
 * Issue 7, scenario 5: a new learner catches up through a snapshot of 256 MB (`--quick`: 32 MB),
 * in MB/s.
 *
 * One group (`kv-0`) on three `flotilla node` processes. The client writes the state: 64 KiB
 * values under distinct keys until the kv state is the target size (the write phase is measured
 * too). Small writes to one key follow until the leader's log is compacted past the last large
 * write (asked through the committed-history subject: see learner-catch-up-control.ts), so the
 * leader's stored snapshot holds the whole state and a new member cannot catch up from the log.
 * Then an empty fourth node is started, hosts the group (`create-group`) and is added as a
 * learner (`add-learner` to the leader), and both are polled through `status` until the
 * learner's applied index reaches the leader's commit index. The time from the add splits into
 * the wait for the transfer to start, the transfer itself (the leader's chunks, until the learner
 * has the whole snapshot) and the install (storing it, restoring the state machine, the few
 * entries after it).
 *
 * Snapshots are whole byte arrays in memory in this version (the state machine's `snapshot()`,
 * the stored copy read back, the receiver's reassembly buffer), so every node runs with a
 * larger V8 heap than the default of small machines (`nodeRuntimeFlags`).
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { FlotillaClient, encodeWire, type RemoteGroup } from "@flotilla/client";
import { FlotillaProcessCluster } from "../systems/flotilla-cluster.js";
import type { Durability } from "../systems/system-cluster.js";
import { roundTo } from "../lib/round-to.js";
import { sleep } from "../lib/sleep.js";
import {
  compactedPast,
  controlRequest,
  transportCounter,
  tryNodeStatus,
  type NodeStatus,
} from "./control.js";
import {
  failedReport,
  type FlotillaScenario,
  type ScenarioContext,
  type ScenarioMeasure,
  type ScenarioReport,
  type ScenarioSeries,
} from "./scenario.js";

const SCENARIO = {
  scenario: 5,
  title: "Catch-up of a new learner through a snapshot of 256 MB (MB/s)",
} as const;

const DURABILITY: Durability = "strict";
const FOUNDERS = ["n1", "n2", "n3"] as const;
const LEARNER = "n4";
const MIB = 1024 * 1024;
/** The transport's snapshot chunk (nats-transport-options.ts), to turn chunk counts into bytes. */
const CHUNK_BYTES = 256 * 1024;

/** The sizes and bounds of one run. */
interface Plan {
  /** The kv state to build, in bytes of values. */
  readonly stateBytes: number;
  readonly valueBytes: number;
  /** Proposals in flight while writing the state. */
  readonly writeInFlight: number;
  /** `--snapshot-entries`: also how many small writes force one more snapshot after the state. */
  readonly snapshotEntries: number;
  /** `--compaction-trailing`: small, so the compacted log keeps almost none of the large values. */
  readonly compactionTrailing: number;
  readonly heapMb: number;
  readonly writeTimeoutMs: number;
  readonly compactTimeoutMs: number;
  readonly catchUpTimeoutMs: number;
}

const FULL: Plan = {
  stateBytes: 256 * MIB,
  valueBytes: 64 * 1024,
  writeInFlight: 32,
  snapshotEntries: 1024,
  compactionTrailing: 16,
  heapMb: 4096,
  writeTimeoutMs: 600_000,
  compactTimeoutMs: 180_000,
  catchUpTimeoutMs: 300_000,
};

const QUICK: Plan = {
  ...FULL,
  stateBytes: 32 * MIB,
  writeTimeoutMs: 120_000,
  compactTimeoutMs: 60_000,
  catchUpTimeoutMs: 120_000,
};

/**
 * Status polls of the leader and of the learner during the catch-up, in two loops so a learner
 * busy installing delays only its own.
 */
const POLL_MS = 50;
/** Bound of one status request; a learner busy installing may miss several. */
const STATUS_TIMEOUT_MS = 2_000;

type KvCommand = { op: "put"; key: string; value: string | number };

/** Distinct keys of one length, so every pair of the snapshot has the same size. */
function bigKey(i: number): string {
  return `big-${String(i).padStart(6, "0")}`;
}

/** Fails with `what` past `timeoutMs`, polling `probe` every `everyMs`. */
async function until<T>(
  what: string,
  timeoutMs: number,
  everyMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(everyMs);
  }
}

/** Writes `count` commands from `make`, `inFlight` at a time; rejects past `timeoutMs`. */
async function writeAll(
  group: RemoteGroup<KvCommand>,
  count: number,
  inFlight: number,
  timeoutMs: number,
  make: (i: number) => KvCommand,
): Promise<void> {
  let next = 0;
  let timedOut = false;
  const timer = setTimeout(() => (timedOut = true), timeoutMs);
  try {
    const worker = async (): Promise<void> => {
      while (next < count) {
        if (timedOut) throw new Error(`writes timed out after ${timeoutMs} ms (${next}/${count})`);
        await group.propose(make(next++));
      }
    };
    await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
  } finally {
    clearTimeout(timer);
  }
}

/** The leader of `groupId` among the founders and its status, once one answers as leader. */
async function findLeader(
  client: FlotillaClient,
  cluster: FlotillaProcessCluster,
  groupId: string,
): Promise<{ nodeId: string; status: NodeStatus }> {
  return until(`a leader of ${groupId}`, 30_000, 200, async () => {
    for (const nodeId of FOUNDERS) {
      const status = await tryNodeStatus(client.nc, cluster.cluster, nodeId, STATUS_TIMEOUT_MS);
      if (status?.groups.find((g) => g.groupId === groupId)?.role === "leader") {
        return { nodeId, status };
      }
    }
    return undefined;
  });
}

/**
 * Peak resident set of `pid` (VmHWM), in MB — LMDB's memory-mapped pages included; null when
 * unreadable.
 */
function peakRssMb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match?.[1] === undefined ? null : roundTo(Number(match[1]) / 1024, 0);
  } catch {
    return null;
  }
}

/** The msgpack size of the kv snapshot after the run's writes (kv-state-machine.ts `snapshot`). */
function kvSnapshotBytes(entries: number, value: string): number {
  const pairs = entries + 1; // the large values and the one small key written after them
  const arrayHeader = pairs < 16 ? 1 : pairs < 65_536 ? 3 : 5;
  const big = encodeWire([bigKey(0), value]).byteLength;
  const pad = encodeWire(["pad", 2 ** 31]).byteLength;
  return arrayHeader + entries * big + pad;
}

/** What the catch-up poll saw, in ms since the add was sent. */
interface CatchUp {
  addAckMs: number | null;
  transferStartMs: number | null;
  transferEndMs: number | null;
  caughtUpMs: number | null;
  chunksSent: number;
  chunksResent: number;
  transfersStarted: number;
  transfersAbandoned: number;
  learnerApplied: number;
  /** The leader's commit index, from a poll sent after the add was acknowledged. */
  leaderCommit: number | null;
}

async function run(context: ScenarioContext): Promise<ScenarioReport> {
  const startedAt = Date.now();
  const t0 = performance.now();
  const at = (): number => roundTo((performance.now() - t0) / 1000, 2);
  const plan = context.quick ? QUICK : FULL;
  const entries = Math.ceil(plan.stateBytes / plan.valueBytes);
  const value = "x".repeat(plan.valueBytes);
  const snapshotBytes = kvSnapshotBytes(entries, value);
  const groupId = "kv-0";
  const parameters: Record<string, number | string> = {
    nodes: "3 + 1 learner",
    groups: 1,
    "state-bytes": plan.stateBytes,
    "value-bytes": plan.valueBytes,
    entries,
    "write-in-flight": plan.writeInFlight,
    "snapshot-entries": plan.snapshotEntries,
    "compaction-trailing": plan.compactionTrailing,
    "node-heap-mb": plan.heapMb,
  };
  const measures: ScenarioMeasure[] = [];
  const notes: string[] = [];
  const appliedSeries: [number, number][] = [];
  const sentSeries: [number, number][] = [];
  const series = (): ScenarioSeries[] => [
    { name: "learner-applied-index", unit: "index", points: appliedSeries },
    { name: "snapshot-mb-sent", unit: "MB", points: sentSeries },
  ];
  let cluster: FlotillaProcessCluster | undefined;
  let client: FlotillaClient | undefined;
  try {
    const nodes = await FlotillaProcessCluster.start({
      groups: 1,
      durability: DURABILITY,
      natsServerBinary: context.natsServerBinary,
      tempRoot: context.tempRoot,
      nodeArgs: [
        "--snapshot-entries",
        String(plan.snapshotEntries),
        "--compaction-trailing",
        String(plan.compactionTrailing),
      ],
      nodeRuntimeFlags: [`--max-old-space-size=${plan.heapMb}`],
    });
    cluster = nodes;
    const writer = await FlotillaClient.connect({
      cluster: nodes.cluster,
      nats: { servers: nodes.natsUrl, maxReconnectAttempts: 10 },
      // 64 KiB values: 8 per request stay well below nats-server's 1 MiB max_payload.
      commandsPerRequestMax: 8,
      timeoutMs: 60_000,
      attemptTimeoutMs: 10_000,
    });
    client = writer;
    const group = writer.group<KvCommand>(groupId);

    // 1. The state, through the client: the write phase is a figure of its own.
    context.log(`writing ${entries} × ${plan.valueBytes / 1024} KiB values to ${groupId}`);
    const writeStart = performance.now();
    await writeAll(group, entries, plan.writeInFlight, plan.writeTimeoutMs, (i) => ({
      op: "put",
      key: bigKey(i),
      value,
    }));
    const writeSeconds = (performance.now() - writeStart) / 1000;
    measures.push(
      {
        name: "write-seconds",
        label: "write phase (3 replicas, strict)",
        value: roundTo(writeSeconds, 1),
        unit: "s",
      },
      {
        name: "write-mb-s",
        label: "write phase throughput (values)",
        value: roundTo((entries * plan.valueBytes) / MIB / writeSeconds, 1),
        unit: "MB/s",
      },
    );
    context.log(`state written in ${writeSeconds.toFixed(1)} s`);

    // 2. One more snapshot past the last large write, and the log compacted behind it.
    const { status: written } = await findLeader(writer, nodes, groupId);
    const lastLarge = written.groups.find((g) => g.groupId === groupId)?.commitIndex ?? 0;
    const probeIndex = Math.max(1, lastLarge - plan.compactionTrailing);
    const compactStart = performance.now();
    let padded = 0;
    await until("the log compacted past the state", plan.compactTimeoutMs, 0, async () => {
      // Overwrites of one key with a full-size value, a quarter of the entry threshold at a
      // time, until a snapshot past the large writes is stored and the log compacted behind
      // it. Full-size: a replica snapshots again only once the bytes applied since its last
      // snapshot reach half that snapshot's size (snapshotter.ts), and the state grows by one
      // value only. Rounds, not one threshold's worth: a snapshot being stored defers the next.
      await writeAll(group, plan.snapshotEntries / 4, 8, 60_000, () => ({
        op: "put",
        key: "pad",
        value,
      }));
      padded += plan.snapshotEntries / 4;
      await sleep(500);
      return (await compactedPast(writer.nc, nodes.cluster, groupId, probeIndex, 30_000))
        ? true
        : undefined;
    });
    parameters["padding-writes"] = padded;
    context.log(
      `the leader compacted past ${probeIndex} after ${padded} small writes ` +
        `(${((performance.now() - compactStart) / 1000).toFixed(1)} s)`,
    );

    // 3. The learner: an empty node hosting the group, then added by the leader — asked for
    // last, as the large snapshot reads above can stall a leader past an election timeout.
    await nodes.startNode(LEARNER);
    await until(`${LEARNER} answers`, 30_000, 100, () =>
      tryNodeStatus(writer.nc, nodes.cluster, LEARNER, 1_000),
    );
    await controlRequest(
      writer.nc,
      nodes.cluster,
      LEARNER,
      { op: "create-group", groupId, kind: "kv", members: [...FOUNDERS] },
      15_000,
    );
    const { nodeId: leaderId, status: before } = await findLeader(writer, nodes, groupId);
    const seen = await catchUp(writer, nodes, leaderId, groupId, before, plan, at, {
      applied: appliedSeries,
      sent: sentSeries,
    });

    // 4. Figures.
    const chunkMb = (seen.chunksSent - seen.chunksResent) * (CHUNK_BYTES / MIB);
    const snapshotMb = snapshotBytes / MIB;
    const seconds = (ms: number | null): number | null => (ms === null ? null : ms / 1000);
    const rate = (ms: number | null): number | null =>
      ms === null || ms <= 0 ? null : roundTo(snapshotMb / (ms / 1000), 1);
    const transferMs =
      seen.transferStartMs !== null && seen.transferEndMs !== null
        ? seen.transferEndMs - seen.transferStartMs
        : null;
    const installMs =
      seen.transferEndMs !== null && seen.caughtUpMs !== null
        ? seen.caughtUpMs - seen.transferEndMs
        : null;
    const round2 = (x: number | null): number | null => (x === null ? null : roundTo(x, 2));
    measures.push(
      {
        name: "snapshot-mb",
        label: "snapshot sent (kv state, msgpack)",
        value: roundTo(snapshotMb, 1),
        unit: "MB",
      },
      {
        name: "catch-up-mb-s",
        label: "catch-up rate: snapshot MB / (add → caught up)",
        value: rate(seen.caughtUpMs),
        unit: "MB/s",
      },
      {
        name: "catch-up-seconds",
        label: "add-learner sent → learner applied the leader's commit index",
        value: round2(seconds(seen.caughtUpMs)),
        unit: "s",
      },
      {
        name: "add-seconds",
        label: "add-learner sent → its reply (the change committed)",
        value: round2(seconds(seen.addAckMs)),
        unit: "s",
      },
      {
        name: "transfer-start-seconds",
        label: "add-learner sent → the leader's transfer started",
        value: round2(seconds(seen.transferStartMs)),
        unit: "s",
      },
      {
        name: "transfer-seconds",
        label: "transfer: first chunk → learner holds the whole snapshot",
        value: round2(seconds(transferMs)),
        unit: "s",
      },
      {
        name: "transfer-mb-s",
        label: "transfer rate (chunks over NATS, stop-and-wait)",
        value: rate(transferMs),
        unit: "MB/s",
      },
      {
        name: "install-seconds",
        label: "install: whole snapshot received → learner caught up",
        value: round2(seconds(installMs)),
        unit: "s",
      },
      {
        name: "rss-mb-max-leader",
        label: `peak RSS of the leader (${leaderId}; VmHWM, mapped LMDB pages included)`,
        value: peakRssMb(nodes.process(leaderId)?.pid),
        unit: "MB",
      },
      {
        name: "rss-mb-max-learner",
        label: `peak RSS of the learner (${LEARNER}; VmHWM, mapped LMDB pages included)`,
        value: peakRssMb(nodes.process(LEARNER)?.pid),
        unit: "MB",
      },
    );
    parameters["snapshot-bytes"] = snapshotBytes;
    parameters["snapshot-chunks-sent"] = seen.chunksSent;
    parameters["snapshot-chunks-resent"] = seen.chunksResent;
    parameters["snapshot-transfers-started"] = seen.transfersStarted;
    parameters["snapshot-transfers-abandoned"] = seen.transfersAbandoned;
    notes.push(
      `Snapshot size: the kv state's msgpack encoding computed from the writes ` +
        `(${snapshotBytes} bytes; the session table adds a few hundred bytes and the padding ` +
        `key one value); the leader sent ` +
        `${seen.chunksSent - seen.chunksResent} chunks of 256 KiB (≤ ${chunkMb.toFixed(1)} MB), ` +
        `${seen.chunksResent} resent, in ${seen.transfersStarted} transfer(s).`,
      `Times are seen by polling status every ${POLL_MS} ms (leader and learner apart); the ` +
        `learner answers late while it installs, so the install time is an upper bound by up ` +
        `to one status round trip.`,
      `Transfer = the leader's transfer counter started → its completion (or the learner's ` +
        `snapshotsReceived, whichever is seen first); install = that → the learner's applied ` +
        `index ≥ the leader's commit index (storing the snapshot in LMDB, restoring the kv ` +
        `map, the few entries after the snapshot).`,
      `Every node runs with --max-old-space-size=${plan.heapMb}: snapshots are whole byte ` +
        `arrays in memory in this version (the state machine's encoding, the stored copy read ` +
        `back for sending, the receiver's reassembly buffer).`,
    );
    return {
      ...SCENARIO,
      system: "flotilla",
      durability: DURABILITY,
      status: seen.caughtUpMs === null ? "failed" : "ok",
      error: seen.caughtUpMs === null ? "the learner did not catch up in time" : null,
      parameters,
      measures,
      series: series(),
      notes,
      durationMs: Date.now() - startedAt,
    };
  } catch (error) {
    const tail = cluster?.process(LEARNER)?.logTail() ?? "";
    if (tail !== "") notes.push(`${LEARNER} log tail: ${tail.slice(-1_500)}`);
    return failedReport(SCENARIO, DURABILITY, startedAt, error, {
      parameters,
      measures,
      series: series(),
      notes,
    });
  } finally {
    await client?.close().catch(() => undefined);
    await cluster?.stop();
  }
}

/**
 * Sends `add-learner` to the leader and polls the leader and the learner (each in its own loop,
 * so a learner too busy to answer does not delay what the leader shows) until the learner
 * caught up or the bound passes. The caller reads the figures off the result; on time-out
 * `caughtUpMs` stays null.
 */
async function catchUp(
  client: FlotillaClient,
  cluster: FlotillaProcessCluster,
  leaderId: string,
  groupId: string,
  before: NodeStatus,
  plan: Plan,
  at: () => number,
  series: { applied: [number, number][]; sent: [number, number][] },
): Promise<CatchUp> {
  const base = {
    started: transportCounter(before, "snapshotTransfersStarted"),
    completed: transportCounter(before, "snapshotTransfersCompleted"),
    abandoned: transportCounter(before, "snapshotTransfersAbandoned"),
    sent: transportCounter(before, "snapshotChunksSent"),
    resent: transportCounter(before, "snapshotChunksResent"),
  };
  const seen: CatchUp = {
    addAckMs: null,
    transferStartMs: null,
    transferEndMs: null,
    caughtUpMs: null,
    chunksSent: 0,
    chunksResent: 0,
    transfersStarted: 0,
    transfersAbandoned: 0,
    learnerApplied: 0,
    leaderCommit: null,
  };
  const addedAt = performance.now();
  const since = (): number => performance.now() - addedAt;
  const deadline = addedAt + plan.catchUpTimeoutMs;
  let addFailed: Error | undefined;
  const going = (): boolean =>
    seen.caughtUpMs === null && addFailed === undefined && performance.now() < deadline;
  const add = controlRequest(
    client.nc,
    cluster.cluster,
    leaderId,
    { op: "add-learner", groupId, nodeId: LEARNER },
    15_000,
  ).then(
    () => {
      seen.addAckMs = since();
    },
    (error: unknown) => {
      addFailed = error instanceof Error ? error : new Error(String(error));
    },
  );
  const transferEnded = (): void => {
    if (seen.transferEndMs === null) seen.transferEndMs = since();
  };
  const leaderLoop = async (): Promise<void> => {
    while (going()) {
      const afterAdd = seen.addAckMs !== null;
      const status = await tryNodeStatus(client.nc, cluster.cluster, leaderId, STATUS_TIMEOUT_MS);
      if (status !== undefined) {
        const replica = status.groups.find((g) => g.groupId === groupId);
        // Only a commit index read after the add counts: it covers the configuration entry.
        if (replica !== undefined && afterAdd) seen.leaderCommit = replica.commitIndex;
        seen.transfersStarted = transportCounter(status, "snapshotTransfersStarted") - base.started;
        seen.transfersAbandoned =
          transportCounter(status, "snapshotTransfersAbandoned") - base.abandoned;
        seen.chunksSent = transportCounter(status, "snapshotChunksSent") - base.sent;
        seen.chunksResent = transportCounter(status, "snapshotChunksResent") - base.resent;
        if (seen.transfersStarted > 0 && seen.transferStartMs === null) {
          seen.transferStartMs = since();
        }
        if (transportCounter(status, "snapshotTransfersCompleted") > base.completed) {
          transferEnded();
        }
        series.sent.push([
          at(),
          roundTo(((seen.chunksSent - seen.chunksResent) * CHUNK_BYTES) / MIB, 2),
        ]);
      }
      await sleep(POLL_MS);
    }
  };
  const learnerLoop = async (): Promise<void> => {
    while (going()) {
      const status = await tryNodeStatus(client.nc, cluster.cluster, LEARNER, STATUS_TIMEOUT_MS);
      const replica = status?.groups.find((g) => g.groupId === groupId);
      if (status !== undefined && replica !== undefined) {
        seen.learnerApplied = replica.appliedIndex;
        series.applied.push([at(), replica.appliedIndex]);
        if (transportCounter(status, "snapshotsReceived") > 0) transferEnded();
        // The learner must be in the membership (the add applied) and have applied everything
        // the leader committed when it was last seen.
        if (
          seen.leaderCommit !== null &&
          replica.learners.includes(LEARNER) &&
          replica.appliedIndex >= seen.leaderCommit
        ) {
          // No transferEnded() here: if neither counter showed the end, the split stays
          // unknown rather than crediting the whole time to the transfer.
          seen.caughtUpMs = since();
        }
      }
      await sleep(POLL_MS);
    }
  };
  await Promise.all([add, leaderLoop(), learnerLoop()]);
  if (addFailed !== undefined) throw addFailed;
  return seen;
}

/** Scenario 5 of issue 7. */
const learnerCatchUp: FlotillaScenario = { ...SCENARIO, run };
export default learnerCatchUp;
