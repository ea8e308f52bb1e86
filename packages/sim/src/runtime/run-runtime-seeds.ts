/**
 * Runs runtime-mode seeds one after another and turns each into output lines, in the core
 * mode's format: the world (verbose), every violation with the command that replays it, one
 * `coverage:` line and exactly one `sim: N seeds, V violations` line. The lines depend only on
 * the seeds and pins, so a run is reproducible byte for byte.
 */
import { Violation } from "../violation.js";
import {
  addRuntimeCoverage,
  emptyRuntimeCoverage,
  formatRuntimeCoverage,
  type RuntimeCoverage,
} from "./runtime-coverage.js";
import {
  RuntimeSimulation,
  type RuntimeSimulationOptions,
  type RuntimeSimulationReport,
} from "./runtime-simulation.js";
import {
  chooseRuntimeWorld,
  formatRuntimeWorld,
  type RuntimeWorld,
  type RuntimeWorldPins,
} from "./runtime-world.js";

/** What to run. */
export interface RuntimeRunOptions {
  readonly seeds: number;
  readonly start: number;
  readonly pins: RuntimeWorldPins;
  readonly verbose: boolean;
}

/** One seed's outcome. */
export interface RuntimeSeedOutcome {
  readonly seed: number;
  readonly world: RuntimeWorld;
  /** Set when the seed ran to the end without a violation. */
  readonly report: RuntimeSimulationReport | undefined;
  /** Set when it did not: what broke, and at which step. */
  readonly violation: string | undefined;
  readonly coverage: RuntimeCoverage;
}

/** The totals of a run. */
export interface RuntimeRunSummary {
  readonly seeds: number;
  readonly violations: number;
  /** Seeds without a violation whose history check ran out of budget: not passed either. */
  readonly incomplete: number;
  readonly coverage: RuntimeCoverage;
}

/** Stack frames kept when the host throws at the simulator. */
const STACK_FRAMES_SHOWN = 6;

/**
 * Runs `seed` in the runtime-mode world it chooses under `pins`. Never rejects for a host's
 * failure: that is the outcome's `violation`.
 *
 * @example
 * const outcome = await runRuntimeSeed(3);
 * outcome.violation; // undefined when every check passed
 */
export async function runRuntimeSeed(
  seed: number,
  pins: RuntimeWorldPins = {},
  options: RuntimeSimulationOptions = {},
): Promise<RuntimeSeedOutcome> {
  const world = chooseRuntimeWorld(seed, pins);
  const simulation = new RuntimeSimulation(seed, world, options);
  try {
    const report = await simulation.run();
    return { seed, world, report, violation: undefined, coverage: report.coverage };
  } catch (error) {
    const violation =
      error instanceof Violation
        ? error.message
        : `at step ${simulation.currentStep()}: ${describeError(error)}`;
    return { seed, world, report: undefined, violation, coverage: simulation.coverageSoFar() };
  }
}

/** The command that replays runtime-mode `seed` exactly. */
export function runtimeReplayCommand(seed: number, pins: RuntimeWorldPins): string {
  const flags = Object.entries(pins)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `--${kebab(name)} ${String(value)}`);
  return ["npm run sim -- --runtime --seeds 1 --start", String(seed), ...flags].join(" ");
}

/**
 * Runs `options.seeds` seeds from `options.start`, passing each output line to `write`.
 *
 * @example
 * const lines: string[] = [];
 * await runRuntimeSeeds({ seeds: 2, start: 0, pins: {}, verbose: false }, (line) => lines.push(line));
 */
export async function runRuntimeSeeds(
  options: RuntimeRunOptions,
  write: (line: string) => void,
): Promise<RuntimeRunSummary> {
  const coverage = emptyRuntimeCoverage();
  let violations = 0;
  let incomplete = 0;
  for (let seed = options.start; seed < options.start + options.seeds; seed++) {
    const outcome = await runRuntimeSeed(seed, options.pins);
    if (options.verbose) write(`seed ${seed}: world ${formatRuntimeWorld(outcome.world)}`);
    addRuntimeCoverage(coverage, outcome.coverage);
    if (outcome.report?.historyCheckExhausted !== undefined) {
      incomplete++;
      write(`seed ${seed}: INCOMPLETE history check: ${outcome.report.historyCheckExhausted}`);
      write(`  replay: ${runtimeReplayCommand(seed, options.pins)}`);
    } else if (outcome.report !== undefined) {
      if (options.verbose) write(`seed ${seed}: ok ${formatRuntimeReport(outcome.report)}`);
    } else {
      violations++;
      write(`seed ${seed}: VIOLATION ${outcome.violation ?? ""}`);
      write(`  replay: ${runtimeReplayCommand(seed, options.pins)}`);
    }
  }
  write(formatRuntimeCoverage(coverage));
  // scripts/test.sh parses this line: keep its "sim: N seeds, V violations" prefix.
  write(`sim: ${options.seeds} seeds, ${violations} violations, ${incomplete} incomplete`);
  return { seeds: options.seeds, violations, incomplete, coverage };
}

/** One seed's report on one line. */
export function formatRuntimeReport(report: RuntimeSimulationReport): string {
  const c = report.coverage;
  const exhausted =
    report.historyCheckExhausted === undefined
      ? ""
      : ` (history check incomplete: ${report.historyCheckExhausted})`;
  return (
    `steps=${report.steps} batches=${report.batchesSent} futures=${report.futures} ` +
    `ops=${report.operations} unknown=${report.unknownOperations} elections=${c.elections} ` +
    `crashes=${c.crashes} lost-writes=${c.lostWrites} partitions=${c.partitions} ` +
    `snapshots=${c.snapshotsInstalled} reads=${c.reads}${exhausted}`
  );
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const frames = (error.stack ?? "").split("\n").slice(1, 1 + STACK_FRAMES_SHOWN);
    return [
      `${error.name}: ${error.message}`,
      ...frames.map((frame) => `    ${frame.trim()}`),
    ].join("\n");
  }
  return `thrown: ${String(error)}`;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
