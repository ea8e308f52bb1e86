/**
 * `npm run bench`: Flotilla side by side with etcd and NATS JetStream on this machine, in one
 * run (issue 7). Every system runs as a cluster of separate processes on loopback, loaded by a
 * separate load-generator process through its own Node.js client; the servers' CPU and memory
 * come from `/proc`. Writes `<out>/<UTC date>-quick.json` (or `-full`) and `.md`.
 *
 *   npm run bench -- --quick            # scenarios 1 and 2 at 16 and 256 in flight, one round
 *   npm run bench                       # 1/16/128/256 and 16/256/1,024 in flight, 3 rounds
 *   #   --out DIR    where results go (default bench/results)
 *   #   --only a,b   only these systems (flotilla, etcd, jetstream)
 *   #   --warmup-ms N, --window-ms N, --rounds N   override the mode (to try the harness out)
 *   #   --scenarios 1,2   only these scenarios (3–7: Flotilla's own; a full run has all seven)
 *   #   --in-flight 1,256   only these in-flight counts of scenarios 1 and 2
 *   #   --cpu-prof DIR    Flotilla's node processes write `node --cpu-prof` profiles into DIR
 *
 * Nothing is asserted. Every phase is bounded, a watchdog ends the run past its deadline, and
 * every process and file the run creates is removed however it ends.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { probeFsync } from "./lib/fsync-probe.js";
import { machineInfo } from "./lib/machine-info.js";
import { PEER_SCHEMA_VERSION, type PeerReport, type PeerRow } from "./lib/peer-row.js";
import { writePeerResults } from "./lib/peer-results-file.js";
import { findPeers, type Peers } from "./peers.js";
import { sleep } from "./lib/sleep.js";
import { failedReport, type FlotillaScenario, type ScenarioReport } from "./scenarios/scenario.js";
import { runScenarioOnSystem, type RunTiming, type SystemConfig } from "./run-configuration.js";

/** A scenario: its number (issue 7), its group count, its in-flight counts. */
interface ScenarioPlan {
  readonly scenario: number;
  readonly groups: number;
  readonly inFlights: readonly number[];
}

interface Mode {
  readonly name: "quick" | "full";
  readonly scenarios: readonly ScenarioPlan[];
  readonly rounds: number;
  readonly timing: RunTiming;
  /**
   * Past this (plus a budget per scenario 3–7) the watchdog writes what was measured and ends
   * the run (exit code 2).
   */
  readonly deadlineMs: number;
}

const QUICK: Mode = {
  name: "quick",
  scenarios: [
    { scenario: 1, groups: 1, inFlights: [16, 256] },
    { scenario: 2, groups: 64, inFlights: [16, 256] },
  ],
  rounds: 1,
  timing: {
    warmupMs: 2_000,
    windowMs: 8_000,
    readyTimeoutMs: 30_000,
    drainTimeoutMs: 5_000,
    startTimeoutMs: 30_000,
    streamCreateTimeoutMs: 45_000,
  },
  deadlineMs: 9 * 60_000,
};

const FULL: Mode = {
  name: "full",
  scenarios: [
    { scenario: 1, groups: 1, inFlights: [1, 16, 128, 256] },
    { scenario: 2, groups: 64, inFlights: [16, 256, 1024] },
  ],
  rounds: 3,
  timing: { ...QUICK.timing, windowMs: 10_000 },
  deadlineMs: 75 * 60_000,
};

/**
 * Flotilla's own scenarios (issue 7, 3–7): one module each in bench/scenarios/, run once after
 * the interleaved rounds of 1 and 2 (they measure Flotilla alone). A full run runs them all; a
 * quick run only those named with `--scenarios`, in their quick form.
 */
const FLOTILLA_SCENARIOS: Readonly<Record<number, string>> = {
  3: "idle-failover",
  4: "recovery",
  5: "learner-catch-up",
  6: "fan-out",
  7: "disk-growth",
};

/** Added to the watchdog's deadline per scenario 3–7 run (their own phases are bounded). */
const SCENARIO_BUDGET_MS: Readonly<Record<Mode["name"], number>> = {
  quick: 6 * 60_000,
  full: 15 * 60_000,
};

/** Flotilla strict, Flotilla relaxed, etcd, JetStream: interleaved, in this order. */
const SYSTEMS: readonly SystemConfig[] = [
  { system: "flotilla", durability: "strict" },
  { system: "flotilla", durability: "relaxed" },
  { system: "etcd", durability: "strict" },
  { system: "jetstream", durability: "relaxed" },
];

const VALUE_BYTES = 100;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      out: { type: "string", default: "bench/results" },
      only: { type: "string" },
      "window-ms": { type: "string" },
      "warmup-ms": { type: "string" },
      rounds: { type: "string" },
      "in-flight": { type: "string" },
      scenarios: { type: "string" },
      "cpu-prof": { type: "string" },
    },
  });
  const preset = values.quick ? QUICK : FULL;
  const onlyScenarios = values.scenarios?.split(",").map(Number);
  const onlyInFlights = values["in-flight"]?.split(",").map(Number);
  const mode: Mode = {
    ...preset,
    scenarios: preset.scenarios
      .filter((plan) => onlyScenarios === undefined || onlyScenarios.includes(plan.scenario))
      .map((plan) => ({
        ...plan,
        inFlights:
          onlyInFlights === undefined
            ? plan.inFlights
            : onlyInFlights.filter((n) => Number.isInteger(n) && n > 0),
      })),
    rounds: Number(values.rounds ?? preset.rounds),
    timing: {
      ...preset.timing,
      windowMs: Number(values["window-ms"] ?? preset.timing.windowMs),
      warmupMs: Number(values["warmup-ms"] ?? preset.timing.warmupMs),
    },
  };
  const only = values.only?.split(",").map((name) => name.trim());
  const startedAt = new Date().toISOString();
  const tempRoot = mkdtempSync(join(tmpdir(), "flotilla-bench-"));
  const cleanup = (): void => rmSync(tempRoot, { recursive: true, force: true });
  process.once("exit", cleanup);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping (every process this run started is killed on exit)`);
      process.exit(130);
    });
  }
  const rows: PeerRow[] = [];
  const scenarioReports: ScenarioReport[] = [];
  // Filled in below once the peers are known; the watchdog writes what was measured so far.
  const partial: { write?: () => Promise<unknown> } = {};
  const ownScenarios = Object.keys(FLOTILLA_SCENARIOS)
    .map(Number)
    .filter((n) =>
      onlyScenarios === undefined ? mode.name === "full" : onlyScenarios.includes(n),
    );
  const deadlineMs = mode.deadlineMs + ownScenarios.length * SCENARIO_BUDGET_MS[mode.name];
  const watchdog = setTimeout(() => {
    log(`the run passed its ${Math.round(deadlineMs / 60_000)}-minute deadline: stopping`);
    void Promise.race([partial.write?.(), sleep(30_000)]).finally(() => process.exit(2));
  }, deadlineMs);
  watchdog.unref();

  const fsync = probeFsync(tempRoot);
  const machine = machineInfo(fsync);
  log(
    `${mode.name} run: ${machine.cores} cores, fsync ${fsync.perSecond}/s (p50 ${fsync.p50Ms} ms)`,
  );
  const peers: Peers = await findPeers(log);
  const notes: string[] = [
    "Separate processes on loopback: 3 Flotilla nodes + 1 nats-server; 3 etcd members; 3 JetStream servers. " +
      "The load generator is another process; its CPU is reported apart (client CPU ms/1k).",
    "Durability: Flotilla strict and etcd acknowledge after fdatasync; Flotilla relaxed and JetStream 2.9 " +
      "acknowledge before syncing (a JetStream PubAck means in memory on a quorum).",
    `Closed loop, ${VALUE_BYTES}-byte values, distinct keys, warm-up ${mode.timing.warmupMs / 1000} s, ` +
      `window ${mode.timing.windowMs / 1000} s, ${mode.rounds} round(s); systems interleaved per scenario.`,
    "RSS MB max is the summed resident set of the server processes; CPU ms/1k ops is summed over them.",
  ];
  for (let round = 1; round <= mode.rounds; round++) {
    for (const scenario of mode.scenarios) {
      for (const config of SYSTEMS) {
        if (only !== undefined && !only.includes(config.system)) continue;
        log(
          `round ${round}, scenario ${scenario.scenario}: ${config.system} (${config.durability})`,
        );
        const outcome = await runScenarioOnSystem({
          config,
          peers,
          scenario: scenario.scenario,
          groups: scenario.groups,
          inFlights: scenario.inFlights,
          round,
          valueBytes: VALUE_BYTES,
          timing: mode.timing,
          tempRoot,
          log,
          ...(values["cpu-prof"] === undefined ? {} : { cpuProfDir: values["cpu-prof"] }),
        });
        rows.push(...outcome.rows);
        for (const note of outcome.notes) if (!notes.includes(note)) notes.push(note);
      }
    }
  }
  const scenarioSet =
    onlyScenarios === undefined ? "" : `-s${[...onlyScenarios].sort((a, b) => a - b).join("")}`;
  const reportNow = (): PeerReport => ({
    schemaVersion: PEER_SCHEMA_VERSION,
    benchmark: mode.name,
    quick: mode.name === "quick",
    startedAt,
    finishedAt: new Date().toISOString(),
    command: `npm run bench${mode.name === "quick" ? " -- --quick" : ""}`,
    machine,
    versions: peers.versions,
    notes: [...notes, ...peers.skipped],
    rows: [...rows],
    scenarios: [...scenarioReports],
  });
  partial.write = () => writePeerResults(values.out, reportNow(), scenarioSet);
  for (const number of ownScenarios) {
    scenarioReports.push(await runOwnScenario(number, mode, peers, only, tempRoot));
  }
  const written = await writePeerResults(values.out, reportNow(), scenarioSet);
  process.stdout.write(`\n${written.markdown}\n`);
  log(`wrote ${written.jsonPath} and ${written.markdownPath}`);
  const failed =
    rows.some((row) => row.status === "failed") ||
    scenarioReports.some((scenario) => scenario.status === "failed");
  return failed ? 1 : 0;
}

/**
 * Runs one of Flotilla's scenarios 3–7; never throws (a module that fails to load or throws
 * becomes a failed report), so the rows measured before it are always written.
 */
async function runOwnScenario(
  number: number,
  mode: Mode,
  peers: Peers,
  only: readonly string[] | undefined,
  tempRoot: string,
): Promise<ScenarioReport> {
  const name = FLOTILLA_SCENARIOS[number] ?? "";
  const identity = { scenario: number, title: name };
  const startedAt = Date.now();
  if (peers.natsServer === null || (only !== undefined && !only.includes("flotilla"))) {
    const why =
      peers.natsServer === null ? "nats-server not found" : "Flotilla is not part of this run";
    log(`scenario ${number} (${name}): SKIPPED, ${why}`);
    return { ...failedReport(identity, "strict", startedAt, why), status: "skipped" };
  }
  log(`scenario ${number}: ${name}${mode.name === "quick" ? " (quick)" : ""}`);
  try {
    const module = (await import(`./scenarios/${name}.js`)) as { default: FlotillaScenario };
    const report = await module.default.run({
      quick: mode.name === "quick",
      natsServerBinary: peers.natsServer,
      tempRoot,
      log,
    });
    log(`  scenario ${number}: ${report.status}${firstLine(report.error)}`);
    return report;
  } catch (error) {
    log(`  scenario ${number} threw: ${String(error)}`);
    return failedReport(identity, "strict", startedAt, error);
  }
}

function firstLine(error: string | null): string {
  return error === null ? "" : `: ${error.split("\n")[0] ?? ""}`;
}

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
