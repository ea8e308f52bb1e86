/**
 * The linearizability check of the chaos history, through the project's checker
 * (`checkHistory` of @flotilla/sim: per key, registers and lists, a time budget per key). Loaded
 * at run time so that the runner reports a missing checker as a failed check rather than not
 * starting; a missing checker is never a pass.
 */
import type { HistoryRecord } from "./history-record.js";

/** The checker's verdict, as the run reports it. */
export interface LinearizabilityOutcome {
  readonly verdict: "linearizable" | "not-linearizable" | "incomplete" | "unavailable";
  readonly keys: number;
  readonly operations: number;
  /** Keys whose search ran out of budget (never a pass). */
  readonly incompleteKeys: readonly string[];
  /** What failed, for the report. */
  readonly failure?: string;
  readonly elapsedMs: number;
}

interface CheckerResult {
  readonly verdict: string;
  readonly keys: number;
  readonly operations: number;
  readonly incompleteKeys?: readonly string[] | number;
  readonly failure?: unknown;
}

type CheckHistory = (
  records: readonly HistoryRecord[],
  options: { budgetMsPerKey: number },
) => CheckerResult | Promise<CheckerResult>;

/** Runs the project's checker on `records`, `budgetMsPerKey` per key. */
export async function checkLinearizability(
  records: readonly HistoryRecord[],
  budgetMsPerKey: number,
): Promise<LinearizabilityOutcome> {
  const started = Date.now();
  const sim = (await import("@flotilla/sim")) as unknown as Record<string, unknown>;
  const checkHistory = sim["checkHistory"] as CheckHistory | undefined;
  if (typeof checkHistory !== "function") {
    return {
      verdict: "unavailable",
      keys: 0,
      operations: records.length,
      incompleteKeys: [],
      failure: "@flotilla/sim exports no checkHistory yet",
      elapsedMs: 0,
    };
  }
  const result = await checkHistory(records, { budgetMsPerKey });
  const verdict =
    result.verdict === "linearizable" ||
    result.verdict === "not-linearizable" ||
    result.verdict === "incomplete"
      ? result.verdict
      : "unavailable";
  const incomplete = result.incompleteKeys;
  return {
    verdict,
    keys: result.keys,
    operations: result.operations,
    incompleteKeys: Array.isArray(incomplete)
      ? incomplete
      : Array.from({ length: typeof incomplete === "number" ? incomplete : 0 }, () => "?"),
    ...(result.failure === undefined ? {} : { failure: JSON.stringify(result.failure) }),
    elapsedMs: Date.now() - started,
  };
}
