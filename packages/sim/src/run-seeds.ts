/**
 * Runs seeds one after another and turns each into output lines: the world (verbose), every
 * violation with the command that replays it, the coverage totals and exactly one summary line.
 * The lines depend only on the seeds and pins, so a run is reproducible byte for byte.
 */
import { addCoverage, emptyCoverage, formatCoverage, type Coverage } from "./coverage.js";
import { Simulation, type SimulationReport } from "./simulation.js";
import { Violation } from "./violation.js";
import { chooseWorld, formatWorld, type World, type WorldPins } from "./world.js";

/** What to run. */
export interface RunOptions {
  readonly seeds: number;
  readonly start: number;
  readonly pins: WorldPins;
  readonly verbose: boolean;
}

/** One seed's outcome. */
export interface SeedOutcome {
  readonly seed: number;
  readonly world: World;
  /** Set when the seed ran to the end without a violation. */
  readonly report: SimulationReport | undefined;
  /** Set when it did not: what broke, and at which step. */
  readonly violation: string | undefined;
  /** What the seed exercised (up to the violation, if any). */
  readonly coverage: Coverage;
}

/** The totals of a run. */
export interface RunSummary {
  readonly seeds: number;
  readonly violations: number;
  /** Seeds without a violation whose history check ran out of budget: not passed either. */
  readonly incomplete: number;
  readonly coverage: Coverage;
}

/** Stack frames kept when the core throws (its own assertion, or a bug). */
const STACK_FRAMES_SHOWN = 6;

/** Runs `seed` in the world it chooses under `pins`. Never throws for a cluster's failure. */
export function runSeed(seed: number, pins: WorldPins = {}): SeedOutcome {
  const world = chooseWorld(seed, pins);
  const simulation = new Simulation(seed, world);
  try {
    const report = simulation.run();
    return { seed, world, report, violation: undefined, coverage: report.coverage };
  } catch (error) {
    const violation = `at step ${simulation.currentStep()}: ${describeError(error)}`;
    return { seed, world, report: undefined, violation, coverage: simulation.coverageSoFar() };
  }
}

/** The command that replays `seed` exactly. */
export function replayCommand(seed: number, pins: WorldPins): string {
  const flags = Object.entries(pins)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `--${kebab(name)} ${String(value)}`);
  return ["npm run sim -- --seeds 1 --start", String(seed), ...flags].join(" ");
}

/**
 * Runs `options.seeds` seeds from `options.start`, passing each output line to `write`.
 *
 * @example
 * const lines: string[] = [];
 * runSeeds({ seeds: 2, start: 0, pins: {}, verbose: false }, (line) => lines.push(line));
 */
export function runSeeds(options: RunOptions, write: (line: string) => void): RunSummary {
  const coverage = emptyCoverage();
  let violations = 0;
  let incomplete = 0;
  for (let seed = options.start; seed < options.start + options.seeds; seed++) {
    const outcome = runSeed(seed, options.pins);
    if (options.verbose) write(`seed ${seed}: world ${formatWorld(outcome.world)}`);
    addCoverage(coverage, outcome.coverage);
    if (outcome.report?.historyCheckExhausted !== undefined) {
      incomplete++;
      write(`seed ${seed}: INCOMPLETE history check: ${outcome.report.historyCheckExhausted}`);
      write(`  replay: ${replayCommand(seed, options.pins)}`);
    } else if (outcome.report !== undefined) {
      if (options.verbose) write(`seed ${seed}: ok ${formatReport(outcome.report)}`);
    } else {
      violations++;
      write(`seed ${seed}: VIOLATION ${outcome.violation ?? ""}`);
      write(`  replay: ${replayCommand(seed, options.pins)}`);
    }
  }
  write(formatCoverage(coverage));
  // scripts/test.sh parses this line: keep its "sim: N seeds, V violations" prefix.
  write(`sim: ${options.seeds} seeds, ${violations} violations, ${incomplete} incomplete`);
  return { seeds: options.seeds, violations, incomplete, coverage };
}

function formatReport(report: SimulationReport): string {
  const c = report.coverage;
  const exhausted =
    report.historyCheckExhausted === undefined
      ? ""
      : ` (history check incomplete: ${report.historyCheckExhausted})`;
  return (
    `steps=${report.steps} messages=${report.messagesSent} ops=${report.operations} ` +
    `unknown=${report.unknownOperations} elections=${c.elections} crashes=${c.crashes} ` +
    `partitions=${c.partitions} snapshots=${c.snapshotsInstalled} ` +
    `membership=${c.membershipChanges} transfers=${c.transfers} reads=${c.reads}${exhausted}`
  );
}

function describeError(error: unknown): string {
  if (error instanceof Violation) return error.message;
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
