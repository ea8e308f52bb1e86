/**
 * The contract of Flotilla's own scenarios (issue 7, scenarios 3–7): each is one module in this
 * folder exporting a {@link FlotillaScenario}. It starts its own processes (through
 * `FlotillaProcessCluster` and the load generator), measures, stops everything however it ends,
 * and returns a {@link ScenarioReport}: a few named measures, each with its goal where issue 7
 * sets one, and notes a reader needs. It never throws: a failure is a report with
 * `status: "failed"` and the reason.
 */
import type { Durability } from "../systems/system-cluster.js";

/** What a scenario is given. */
export interface ScenarioContext {
  /** `--quick`: a smaller, shorter version (minutes, not tens of minutes). */
  readonly quick: boolean;
  readonly natsServerBinary: string;
  /** A temp dir removed when the run ends; make a subdirectory of your own. */
  readonly tempRoot: string;
  readonly log: (line: string) => void;
}

/** One figure a scenario measured. */
export interface ScenarioMeasure {
  /** Short and stable: "leaderless-ms-max", "rss-mb-max-per-node", … */
  readonly name: string;
  /** What it is, for the Markdown table. */
  readonly label: string;
  readonly value: number | null;
  readonly unit: string;
  /** Issue 7's goal for this figure, as text ("< 3000 ms"), if it sets one. */
  readonly goal?: string;
  /** Whether the goal is met; null when unmeasured. Absent without a goal. */
  readonly met?: boolean | null;
}

/** A time series a scenario recorded (file size over time, leaders over time, …). */
export interface ScenarioSeries {
  readonly name: string;
  readonly unit: string;
  /** Points as [seconds since the scenario's start, value]. */
  readonly points: readonly (readonly [number, number])[];
}

/** What one scenario run gives. */
export interface ScenarioReport {
  readonly scenario: number;
  readonly title: string;
  readonly system: "flotilla";
  readonly durability: Durability;
  readonly status: "ok" | "failed" | "skipped";
  readonly error: string | null;
  /** The parameters used (group count, entries, bytes, …). */
  readonly parameters: Readonly<Record<string, number | string>>;
  readonly measures: readonly ScenarioMeasure[];
  readonly series: readonly ScenarioSeries[];
  readonly notes: readonly string[];
  readonly durationMs: number;
}

/** A scenario module's export. */
export interface FlotillaScenario {
  readonly scenario: number;
  readonly title: string;
  run(context: ScenarioContext): Promise<ScenarioReport>;
}

/** A failed report with `error`'s message, for a scenario's catch. */
export function failedReport(
  scenario: Pick<FlotillaScenario, "scenario" | "title">,
  durability: Durability,
  startedAt: number,
  error: unknown,
  partial: Partial<Pick<ScenarioReport, "parameters" | "measures" | "series" | "notes">> = {},
): ScenarioReport {
  return {
    scenario: scenario.scenario,
    title: scenario.title,
    system: "flotilla",
    durability,
    status: "failed",
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    parameters: partial.parameters ?? {},
    measures: partial.measures ?? [],
    series: partial.series ?? [],
    notes: partial.notes ?? [],
    durationMs: Date.now() - startedAt,
  };
}
