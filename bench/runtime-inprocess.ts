/**
 * The in-process runtime benchmark (issue 4's closing figures): 3 FlotillaNodes in this one
 * process over the InMemoryNetwork, each on its own LMDB environment in a temp dir, under
 * closed-loop load (1 and 64 groups) and idle (1,000 groups). Writes
 * `<out>/<UTC date>-runtime-inprocess[-quick].json` and `.md`, and prints the tables.
 *
 *   npx tsx --conditions=@flotilla/source bench/runtime-inprocess.ts [--quick] [--out bench/results]
 *
 * Every scenario has a time bound, the run has a deadline (a watchdog ends it past that), and
 * the temp dir is removed however the run ends.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { probeFsync } from "./lib/fsync-probe.js";
import { idleIdentity, runIdle, type IdleConfig, type IdleTiming } from "./lib/idle-scenario.js";
import { loadIdentity, runLoad, type LoadConfig, type LoadTiming } from "./lib/load-scenario.js";
import { machineInfo } from "./lib/machine-info.js";
import {
  RESULT_SCHEMA_VERSION,
  failedRow,
  type BenchRow,
  type RowIdentity,
} from "./lib/result-row.js";
import { writeResults } from "./lib/results-file.js";

const BENCHMARK = "runtime-inprocess";

/** What one mode runs, and how long it may take. */
interface Plan {
  readonly load: readonly LoadConfig[];
  readonly loadTiming: LoadTiming;
  readonly idle: readonly IdleConfig[];
  readonly idleTiming: IdleTiming;
  /** Past this the watchdog removes the temp dir and exits with code 2. */
  readonly deadlineMs: number;
}

const DURABILITIES = ["strict", "relaxed"] as const;

/**
 * Each configuration with strict then relaxed durability, back to back: on a shared machine the
 * two rows of a pair see similar background load, so their ratio means more than their values.
 */
function bothDurabilities(
  configs: readonly Omit<LoadConfig, "durability">[],
): readonly LoadConfig[] {
  return configs.flatMap((config) => DURABILITIES.map((durability) => ({ ...config, durability })));
}

const QUICK: Plan = {
  load: bothDurabilities([
    { groups: 1, inFlight: 1 },
    { groups: 1, inFlight: 256 },
    { groups: 64, inFlight: 1024 },
  ]),
  loadTiming: {
    warmupMs: 1_000,
    windowMs: 3_000,
    drainMs: 3_000,
    electionTimeoutMs: 20_000,
    tickIntervalMs: 100,
  },
  idle: [{ groups: 1000, durability: "strict" }],
  idleTiming: {
    windowMs: 10_000,
    tickIntervalMs: 100,
    electionTimeoutMs: 30_000,
    settleTimeoutMs: 20_000,
  },
  deadlineMs: 150_000,
};

const FULL: Plan = {
  load: bothDurabilities([
    { groups: 1, inFlight: 1 },
    { groups: 1, inFlight: 16 },
    { groups: 1, inFlight: 256 },
    { groups: 64, inFlight: 64 },
    { groups: 64, inFlight: 1024 },
  ]),
  loadTiming: { ...QUICK.loadTiming, warmupMs: 2_000, windowMs: 10_000 },
  idle: DURABILITIES.map((durability) => ({ groups: 1000, durability })),
  idleTiming: QUICK.idleTiming,
  deadlineMs: 600_000,
};

const NOTES = [
  "All 3 nodes and the load generator run in ONE process over InMemoryNetwork (a structuredClone per batch, delivered on setImmediate): CPU and RSS are that process's, i.e. 3 nodes together, on one event loop; LMDB's writer threads are included in CPU.",
  "The machine is shared with other engineers' test runs and has few cores: figures are noisy (±20–40 % run to run). Compare rows of one run, not runs.",
  "Latency runs from propose() to its resolution, NotLeader/Overloaded retries included; a proposal counts when it resolves inside the window.",
  "Each row runs on a fresh cluster in fresh LMDB directories; RSS is process-wide and the heap is rarely returned, so later rows inherit earlier peaks.",
  "Idle measures whatever the runtime does now (per-group heartbeats or quiescence with node-level liveness pings = empty batches).",
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      out: { type: "string", default: join("bench", "results") },
    },
  });
  const quick = values.quick;
  const plan = quick ? QUICK : FULL;
  const root = mkdtempSync(join(tmpdir(), "flotilla-bench-"));
  const cleanUp = () => rmSync(root, { recursive: true, force: true });
  const watchdog = setTimeout(() => {
    process.stderr.write(`deadline of ${plan.deadlineMs} ms passed; stopping\n`);
    cleanUp();
    process.exit(2);
  }, plan.deadlineMs);
  watchdog.unref();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      cleanUp();
      process.exit(130);
    });
  }
  try {
    const startedAt = new Date().toISOString();
    const machine = machineInfo(probeFsync(root));
    log(`fsync probe: ${Math.round(machine.fsync.perSecond)}/s; ${quick ? "quick" : "full"} run`);
    const rows: BenchRow[] = [];
    for (const config of plan.load) {
      const identity = loadIdentity(config, plan.loadTiming);
      rows.push(await attempt(identity, () => runLoad(root, config, plan.loadTiming)));
    }
    for (const config of plan.idle) {
      rows.push(await attempt(idleIdentity(config), () => runIdle(root, config, plan.idleTiming)));
    }
    const report = {
      schemaVersion: RESULT_SCHEMA_VERSION,
      benchmark: BENCHMARK,
      quick,
      startedAt,
      finishedAt: new Date().toISOString(),
      command: `npx tsx --conditions=@flotilla/source bench/runtime-inprocess.ts${quick ? " --quick" : ""}`,
      machine,
      notes: NOTES,
      rows,
    };
    const written = await writeResults(values.out, report);
    process.stdout.write(
      `\n${written.markdown}\nwrote ${written.jsonPath} and ${written.markdownPath}\n`,
    );
    if (rows.some((row) => row.status === "failed")) process.exitCode = 1;
  } finally {
    clearTimeout(watchdog);
    cleanUp();
  }
}

/** Runs one row; a failure becomes a failed row so the other rows still run. */
async function attempt(identity: RowIdentity, run: () => Promise<BenchRow>): Promise<BenchRow> {
  const label = `${identity.scenario} groups=${identity.groups} inFlight=${identity.inFlight ?? "-"} ${identity.durability}`;
  log(`${label} …`);
  try {
    const row = await run();
    log(`${label}: ${row.opsPerSecond ?? "-"} ops/s, CPU ${row.cpuPercentOfOneCore}% of a core`);
    return row;
  } catch (error) {
    log(`${label}: FAILED ${error instanceof Error ? error.message : String(error)}`);
    return failedRow(identity, error);
  }
}

function log(line: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

await main();
