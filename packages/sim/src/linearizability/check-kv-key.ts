/**
 * Checks one register key: the WGL search on the key's operations against the register model,
 * and, when it fails, a shrunk explanation. Shared by `checkKvHistory` (the simulators) and
 * `checkHistory` (history files), so both decide a key the same way.
 */
import { reportKvFailure } from "./kv-failure-report.js";
import { kvKeyModel } from "./kv-model.js";
import { toKvSearch } from "./kv-search-input.js";
import { HistoryVerdict, type KeyBudget, type KeyVerdict } from "./key-verdict.js";
import type { IndexedOperation } from "./partition-by-key.js";
import { checkOperations } from "./wgl-checker.js";
import { WglVerdict } from "./wgl-result.js";

/**
 * Shrinking a failure: at most this many searches, sharing a state budget of the larger of
 * `SHRINK_STATES_MIN` and `SHRINK_STATES_FACTOR` times what the failing search used, each
 * search allowed twice what the failing search used (at least `SHRINK_ATTEMPT_STATES_MIN`).
 */
const SHRINK_ATTEMPTS_MAX = 2_000;
const SHRINK_STATES_MIN = 1_000_000;
const SHRINK_STATES_FACTOR = 4;
const SHRINK_ATTEMPT_STATES_MIN = 50_000;

/**
 * Decides whether `operations` (all on `key`, unknown-outcome reads already left out) have a
 * linearization as a register that starts absent.
 */
export function checkKvKey(
  key: string,
  operations: readonly IndexedOperation[],
  budget: KeyBudget,
): KeyVerdict<IndexedOperation> {
  const search = toKvSearch(operations);
  const result = checkOperations(kvKeyModel, search.operations, {
    maxStates: budget.maxStates,
    ...(budget.newDeadline === undefined ? {} : { deadline: budget.newDeadline() }),
  });
  switch (result.verdict) {
    case WglVerdict.linearizable:
      return { verdict: HistoryVerdict.linearizable };
    case WglVerdict.exhausted:
      return {
        verdict: HistoryVerdict.incomplete,
        exhaustion: result.exhaustion,
        visitedStates: result.visitedStates,
      };
    case WglVerdict.notLinearizable: {
      const report = reportKvFailure(
        key,
        operations,
        { entries: search.entries, result },
        {
          statesMax: Math.max(SHRINK_STATES_MIN, SHRINK_STATES_FACTOR * result.visitedStates),
          statesPerAttemptMax: Math.min(
            budget.maxStates,
            Math.max(SHRINK_ATTEMPT_STATES_MIN, 2 * result.visitedStates),
          ),
          attemptsMax: SHRINK_ATTEMPTS_MAX,
          ...(budget.newDeadline === undefined ? {} : { deadline: budget.newDeadline() }),
        },
      );
      return {
        verdict: HistoryVerdict.notLinearizable,
        explanation: report.explanation,
        operations: report.operations,
      };
    }
  }
}
