/**
 * The linearizability check of the chaos history, through the project's checker
 * (`checkHistory` of @flotilla/sim: per key, registers and lists, a time budget per key). A key
 * whose search runs out of budget is incomplete, never a pass.
 */
import { checkHistory, type HistoryRecord as CheckedHistoryRecord } from "@flotilla/sim";
import type { HistoryRecord } from "./history-record.js";

/** The checker's verdict, as the run reports it. */
export interface LinearizabilityOutcome {
  readonly verdict: "linearizable" | "not-linearizable" | "incomplete";
  readonly keys: number;
  readonly operations: number;
  /** Keys whose search ran out of budget (never a pass). */
  readonly incompleteKeys: readonly string[];
  /** The key found not linearizable and why, for the report. */
  readonly failure?: string;
  readonly elapsedMs: number;
}

/** Runs the project's checker on `records`, `budgetMsPerKey` per key. */
export function checkLinearizability(
  records: readonly HistoryRecord[],
  budgetMsPerKey: number,
): LinearizabilityOutcome {
  const started = Date.now();
  // The workload's records are one shape of the checker's format, which checkHistory validates
  // record by record (a malformed one throws, naming it).
  const result = checkHistory(records as readonly CheckedHistoryRecord[], { budgetMsPerKey });
  return {
    verdict: result.verdict,
    keys: result.keys,
    operations: result.operations,
    incompleteKeys: result.incompleteKeys,
    ...(result.failure === undefined
      ? {}
      : { failure: `${result.failure.key}: ${result.failure.explanation}` }),
    elapsedMs: Date.now() - started,
  };
}
