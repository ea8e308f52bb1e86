/**
 * Issue 7, scenario 7: the LMDB file after "30 minutes' worth" of writes with compaction must
 * level off, not grow with the history (Consul left LMDB for its Raft log over exactly this).
 *
 * Three `flotilla node` processes host 64 groups; a writer process (disk-growth-writer.ts) keeps
 * 1,024 proposals in flight for a bounded time (full: 9 minutes, `--quick`: 90 s), overwriting
 * a bounded set of keys, so the kv state — and so each snapshot — keeps one size and only the
 * log's history grows. Every second the scenario records each node's `data.mdb` size and the
 * writes acknowledged; every second too it asks each group's leader whether its log has been
 * compacted yet (a committed page from index 1 that starts with a snapshot: see
 * learner-catch-up-control.ts), until every group has been. From that moment every log is
 * bounded by the snapshot thresholds, so the file should hold its size: the figure is the
 * largest size seen afterwards over the size at that moment (issue 7's goal: at most 2), set
 * against the bytes the log took in meanwhile.
 */
import { spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { FlotillaClient } from "@flotilla/client";
import { FlotillaProcessCluster } from "../systems/flotilla-cluster.js";
import type { Durability } from "../systems/system-cluster.js";
import { roundTo } from "../lib/round-to.js";
import { sleep } from "../lib/sleep.js";
import type { DiskWriterEvent, DiskWriterPlan } from "./disk-growth-writer.js";
import { compactedPast } from "./control.js";
import {
  failedReport,
  type FlotillaScenario,
  type ScenarioContext,
  type ScenarioMeasure,
  type ScenarioReport,
  type ScenarioSeries,
} from "./scenario.js";

const SCENARIO = {
  scenario: 7,
  title: "Disk: LMDB file size under sustained writes with compaction (must level off)",
} as const;

const DURABILITY: Durability = "strict";
const NODES = ["n1", "n2", "n3"] as const;
const MIB = 1024 * 1024;
const WRITER = fileURLToPath(new URL("./disk-growth-writer.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../..", import.meta.url));
const STDERR_TAIL_CHARS = 2_000;
/** Issue 7's bound on the file's growth once compaction runs. */
const GROWTH_GOAL = 2;

/** The shape and bounds of one run. */
interface Plan {
  readonly groups: number;
  readonly inFlight: number;
  /** Keys overwritten in turn (the state's size). */
  readonly keys: number;
  readonly valueBytes: number;
  readonly writeMs: number;
  /**
   * `--snapshot-entries` and `--compaction-trailing` of every node: the defaults in the full
   * run; a tenth of them in the quick one, so 90 s see several compactions of every group.
   */
  readonly snapshotEntries: number;
  readonly compactionTrailing: number;
  readonly readyTimeoutMs: number;
}

const FULL: Plan = {
  groups: 64,
  inFlight: 1024,
  keys: 10_000,
  valueBytes: 100,
  writeMs: 540_000,
  snapshotEntries: 10_000,
  compactionTrailing: 1_000,
  readyTimeoutMs: 60_000,
};

const QUICK: Plan = { ...FULL, writeMs: 90_000, snapshotEntries: 1_000, compactionTrailing: 100 };

/** Size sampling and compaction probing period. */
const SAMPLE_MS = 1_000;
/** Bound of one compaction probe (the leaders are busy: this is generous). */
const PROBE_TIMEOUT_MS = 3_000;

/** A running writer process and the lines it printed. */
interface WriterProcess {
  readonly ready: Promise<void>;
  readonly result: Promise<Extract<DiskWriterEvent, { event: "result" }>>;
  /** The latest progress line (zeros before the first). */
  progress(): { ops: number; commandBytes: number; failures: number };
  kill(): void;
}

/** Spawns the writer; rejects `ready` / `result` if it exits first or runs past `boundMs`. */
function spawnWriter(plan: DiskWriterPlan, boundMs: number): WriterProcess {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=@flotilla/source", WRITER, JSON.stringify(plan)],
    // stdin stays open: the writer exits when it closes, i.e. when this process is gone.
    { cwd: REPO, stdio: ["pipe", "pipe", "pipe"] },
  );
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.once("exit", kill);
  const timer = setTimeout(kill, boundMs);
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-STDERR_TAIL_CHARS);
  });
  let latest = { ops: 0, commandBytes: 0, failures: 0 };
  let readyResolve: () => void = () => undefined;
  let resultResolve: (event: Extract<DiskWriterEvent, { event: "result" }>) => void = () =>
    undefined;
  let settled = false;
  const ready = new Promise<void>((resolve) => (readyResolve = resolve));
  const result = new Promise<Extract<DiskWriterEvent, { event: "result" }>>(
    (resolve) => (resultResolve = resolve),
  );
  const exited = new Promise<string>((resolve) => {
    child.once("close", (code, signal) =>
      resolve(`writer exited (${code ?? signal ?? "?"}): ${stderr.trim().slice(-600)}`),
    );
    child.once("error", (error) => resolve(`writer failed to start: ${error.message}`));
  });
  const lines = createInterface({ input: child.stdout });
  lines.on("line", (line) => {
    let event: DiskWriterEvent;
    try {
      event = JSON.parse(line) as DiskWriterEvent;
    } catch {
      return; // Not ours (a library's console output).
    }
    if (event.event === "ready") readyResolve();
    else if (event.event === "progress") latest = event;
    else {
      latest = { ops: event.ops, commandBytes: event.commandBytes, failures: latest.failures };
      settled = true;
      resultResolve(event);
    }
  });
  // Either promise fails when the writer ends without giving it.
  const failed = exited.then((why) => {
    clearTimeout(timer);
    process.removeListener("exit", kill);
    if (!settled) throw new Error(why);
    return undefined as never;
  });
  failed.catch(() => undefined);
  // Handled here too: a writer that dies before `ready` must not leave `result` rejecting
  // unobserved (that would end the whole benchmark run); the caller awaits each as it needs.
  const readyOrFailed = Promise.race([ready, failed]);
  const resultOrFailed = Promise.race([result, failed]);
  readyOrFailed.catch(() => undefined);
  resultOrFailed.catch(() => undefined);
  return {
    ready: readyOrFailed,
    result: resultOrFailed,
    progress: () => latest,
    kill,
  };
}

/** The size of `nodeId`'s `data.mdb` in bytes (0 before it exists). */
async function dataFileBytes(cluster: FlotillaProcessCluster, nodeId: string): Promise<number> {
  try {
    return (await stat(join(cluster.dataDir(nodeId), "data.mdb"))).size;
  } catch {
    return 0;
  }
}

/** One once-a-second sample. */
interface Sample {
  /** Seconds since the scenario started (the contract's time base). */
  readonly t: number;
  readonly bytes: readonly number[];
  readonly ops: number;
  readonly compacted: number;
}

async function run(context: ScenarioContext): Promise<ScenarioReport> {
  const startedAt = Date.now();
  const t0 = performance.now();
  const at = (): number => roundTo((performance.now() - t0) / 1000, 1);
  const plan = context.quick ? QUICK : FULL;
  const parameters: Record<string, number | string> = {
    nodes: NODES.length,
    groups: plan.groups,
    "in-flight": plan.inFlight,
    keys: plan.keys,
    "value-bytes": plan.valueBytes,
    "write-seconds": plan.writeMs / 1000,
    "snapshot-entries": plan.snapshotEntries,
    "compaction-trailing": plan.compactionTrailing,
  };
  const measures: ScenarioMeasure[] = [];
  const notes: string[] = [];
  const samples: Sample[] = [];
  const series = (): ScenarioSeries[] => [
    ...NODES.map((nodeId, i) => ({
      name: `${nodeId}-data-mdb-mb`,
      unit: "MB",
      points: samples.map((s) => [s.t, roundTo((s.bytes[i] ?? 0) / MIB, 2)] as const),
    })),
    { name: "entries-written", unit: "entries", points: samples.map((s) => [s.t, s.ops] as const) },
    {
      name: "groups-compacted",
      unit: "groups",
      points: samples.map((s) => [s.t, s.compacted] as const),
    },
  ];
  let cluster: FlotillaProcessCluster | undefined;
  let client: FlotillaClient | undefined;
  let writer: WriterProcess | undefined;
  try {
    const nodes = await FlotillaProcessCluster.start({
      groups: plan.groups,
      durability: DURABILITY,
      natsServerBinary: context.natsServerBinary,
      tempRoot: context.tempRoot,
      nodeArgs: [
        "--snapshot-entries",
        String(plan.snapshotEntries),
        "--compaction-trailing",
        String(plan.compactionTrailing),
      ],
    });
    cluster = nodes;
    // The scenario's own connection, for the compaction probes only.
    const probes = await FlotillaClient.connect({
      cluster: nodes.cluster,
      nats: { servers: nodes.natsUrl, maxReconnectAttempts: 10 },
    });
    client = probes;
    context.log(
      `writing for ${plan.writeMs / 1000} s: ${plan.inFlight} in flight over ${plan.groups} ` +
        `groups, ${plan.keys} keys overwritten`,
    );
    writer = spawnWriter(
      {
        cluster: cluster.cluster,
        natsUrl: cluster.natsUrl,
        shards: cluster.shards,
        groups: plan.groups,
        inFlight: plan.inFlight,
        keys: plan.keys,
        valueBytes: plan.valueBytes,
        durationMs: plan.writeMs,
        readyTimeoutMs: plan.readyTimeoutMs,
      },
      plan.readyTimeoutMs + plan.writeMs + 60_000,
    );
    await writer.ready;
    // Compaction times are reported from here; the series keep the scenario's time base.
    const writesStart = at();
    parameters["writes-start-s"] = writesStart;

    // Compaction probes: each group's leader, once a second, until every group answered yes.
    const compactedAt = new Map<string, number>();
    let writing = true;
    const probing = (async () => {
      const pending = new Set(
        Array.from({ length: plan.groups }, (_, i) => `${nodes.shards}-${i}`),
      );
      while (writing && pending.size > 0) {
        const next = performance.now() + SAMPLE_MS;
        await Promise.all(
          [...pending].map(async (groupId) => {
            if (await compactedPast(probes.nc, nodes.cluster, groupId, 1, PROBE_TIMEOUT_MS)) {
              compactedAt.set(groupId, at());
              pending.delete(groupId);
            }
          }),
        );
        await sleep(Math.max(0, next - performance.now()));
      }
    })();

    // File sizes, once a second, until the writer's result (bounded by the writer's own bound).
    let result: Awaited<WriterProcess["result"]> | undefined;
    let failure: unknown;
    void writer.result.then(
      (r) => (result = r),
      (error: unknown) => (failure = error),
    );
    let lastLog = 0;
    while (result === undefined && failure === undefined) {
      const next = performance.now() + SAMPLE_MS;
      const bytes = await Promise.all(NODES.map((nodeId) => dataFileBytes(nodes, nodeId)));
      samples.push({ t: at(), bytes, ops: writer.progress().ops, compacted: compactedAt.size });
      if (performance.now() - lastLog > 30_000) {
        lastLog = performance.now();
        context.log(
          `${(at() - writesStart).toFixed(0)} s: ${writer.progress().ops} writes, ${compactedAt.size}/` +
            `${plan.groups} groups compacted, data.mdb ` +
            bytes.map((b) => `${(b / MIB).toFixed(1)}`).join(" / ") +
            " MB",
        );
      }
      await sleep(Math.max(0, next - performance.now()));
    }
    writing = false;
    await probing;
    if (result === undefined) throw failure;
    // One last sample once the writes are done.
    samples.push({
      t: at(),
      bytes: await Promise.all(NODES.map((nodeId) => dataFileBytes(nodes, nodeId))),
      ops: result.ops,
      compacted: compactedAt.size,
    });

    // Figures.
    const writeSeconds = result.writeMs / 1000;
    const compactionTimes = [...compactedAt.values()];
    const firstCompaction = compactionTimes.length > 0 ? Math.min(...compactionTimes) : null;
    const allCompacted = compactedAt.size === plan.groups ? Math.max(...compactionTimes) : null;
    const sinceWrites = (t: number | null): number | null =>
      t === null ? null : roundTo(t - writesStart, 1);
    const mb = (bytes: number | null): number | null =>
      bytes === null ? null : roundTo(bytes / MIB, 1);
    const maxOver = (from: readonly Sample[]): number =>
      Math.max(0, ...from.flatMap((s) => s.bytes));
    const at_ = (t: number | null): Sample | undefined =>
      t === null ? undefined : samples.find((s) => s.t >= t);
    const last = samples[samples.length - 1];
    const first = at_(firstCompaction);
    const reference = at_(allCompacted);
    // Per node: the largest size from the moment every group was compacted, over that moment's.
    const ratios =
      reference === undefined
        ? []
        : NODES.map((_, i) => {
            const base = reference.bytes[i] ?? 0;
            const peak = Math.max(
              ...samples.filter((s) => s.t >= reference.t).map((s) => s.bytes[i] ?? 0),
            );
            return base > 0 ? peak / base : Number.POSITIVE_INFINITY;
          });
    const growth = ratios.length > 0 ? Math.max(...ratios) : null;
    // The second half of the window after compaction: a file that still grows shows it here.
    const middle =
      reference === undefined || last === undefined ? undefined : at_((reference.t + last.t) / 2);
    const secondHalf =
      middle === undefined || last === undefined
        ? null
        : Math.max(
            ...NODES.map((_, i) => (last.bytes[i] ?? 0) / Math.max(1, middle.bytes[i] ?? 0)),
          );
    const endBytes = last === undefined ? null : Math.max(...last.bytes);
    measures.push(
      {
        name: "write-ops-s",
        label: `writes acknowledged per second (${plan.inFlight} in flight)`,
        value: roundTo(result.ops / writeSeconds, 0),
        unit: "ops/s",
      },
      { name: "entries-written", label: "writes acknowledged", value: result.ops, unit: "entries" },
      {
        name: "log-mb-written",
        label: "command bytes each replica's log took in",
        value: mb(result.commandBytes),
        unit: "MB",
      },
      {
        name: "first-compaction-s",
        label: "writes start → first group's log compacted",
        value: sinceWrites(firstCompaction),
        unit: "s",
      },
      {
        name: "all-compacted-s",
        label: "writes start → every group's log compacted once",
        value: sinceWrites(allCompacted),
        unit: "s",
      },
      {
        name: "size-at-first-compaction-mb",
        label: "data.mdb, largest node, when the first group compacted",
        value: mb(first === undefined ? null : Math.max(...first.bytes)),
        unit: "MB",
      },
      {
        name: "size-at-compaction-mb",
        label: "data.mdb, largest node, when every group had compacted",
        value: mb(reference === undefined ? null : Math.max(...reference.bytes)),
        unit: "MB",
      },
      {
        name: "size-max-mb",
        label: "data.mdb, largest node, largest size after that",
        value: mb(
          reference === undefined ? null : maxOver(samples.filter((s) => s.t >= reference.t)),
        ),
        unit: "MB",
      },
      {
        name: "size-end-mb",
        label: "data.mdb, largest node, at the end",
        value: mb(endBytes),
        unit: "MB",
      },
      {
        name: "growth-ratio",
        label: "largest size after compaction ÷ size at compaction (worst node)",
        value: growth === null ? null : roundTo(growth, 2),
        unit: "×",
        goal: `≤ ${GROWTH_GOAL}`,
        met: growth === null ? null : growth <= GROWTH_GOAL,
      },
      {
        name: "second-half-growth-ratio",
        label: "size at the end ÷ size halfway through the compacted window (worst node)",
        value: secondHalf === null ? null : roundTo(secondHalf, 2),
        unit: "×",
      },
      {
        name: "history-over-file",
        label: "log bytes written ÷ data.mdb at the end",
        value:
          endBytes === null || endBytes === 0 ? null : roundTo(result.commandBytes / endBytes, 1),
        unit: "×",
      },
    );
    if (result.ops > 0 && Object.keys(result.errors).length > 0) {
      notes.push(`Writer errors (retried by the loop): ${JSON.stringify(result.errors)}.`);
    }
    notes.push(
      `Sizes are data.mdb's st_size, sampled every ${SAMPLE_MS / 1000} s; LMDB never shrinks ` +
        `the file, it reuses freed pages, so a flat line means compaction keeps up.`,
      `"Compacted" = the group's leader answers a committed page from index 1 with a snapshot ` +
        `first (its first log index is past 1), probed once a second per group.`,
      `Log bytes are the commands' msgpack bytes per replica; each entry also carries a session ` +
        `header and LMDB's record overhead, so the log took in somewhat more.`,
      `Writes overwrite ${plan.keys} keys in turn, so the kv state (and each snapshot) stays the ` +
        `same size and any growth is the log's.`,
    );
    const ok = growth !== null;
    return {
      ...SCENARIO,
      system: "flotilla",
      durability: DURABILITY,
      status: ok ? "ok" : "failed",
      error: ok ? null : `only ${compactedAt.size} of ${plan.groups} groups compacted in time`,
      parameters,
      measures,
      series: series(),
      notes,
      durationMs: Date.now() - startedAt,
    };
  } catch (error) {
    return failedReport(SCENARIO, DURABILITY, startedAt, error, {
      parameters,
      measures,
      series: series(),
      notes,
    });
  } finally {
    writer?.kill();
    await client?.close().catch(() => undefined);
    await cluster?.stop();
  }
}

/** Scenario 7 of issue 7. */
const diskGrowth: FlotillaScenario = { ...SCENARIO, run };
export default diskGrowth;
