/**
 * Checks one list key: the WGL search on the key's appends and reads against the list model,
 * and, when it fails, an explanation. Unknown-outcome reads are left out by the caller; an
 * unknown-outcome append may have taken effect at any time after its call, or never.
 */
import { HistoryVerdict, type KeyBudget, type KeyVerdict } from "./key-verdict.js";
import { explainListFailure, type ListEntry } from "./list-failure-report.js";
import { listModel } from "./list-model.js";
import { toListSearch } from "./list-search-input.js";
import { checkOperations } from "./wgl-checker.js";
import { WglVerdict } from "./wgl-result.js";

/** Decides whether `entries` (all on `key`) have a linearization as a list that starts empty. */
export function checkListKey(
  key: string,
  entries: readonly ListEntry[],
  budget: KeyBudget,
): KeyVerdict<ListEntry> {
  const search = toListSearch(entries);
  const result = checkOperations(
    listModel(search.positions),
    search.entries.map((entry) => entry.operation),
    {
      maxStates: budget.maxStates,
      ...(budget.newDeadline === undefined ? {} : { deadline: budget.newDeadline() }),
    },
  );
  switch (result.verdict) {
    case WglVerdict.linearizable:
      return { verdict: HistoryVerdict.linearizable };
    case WglVerdict.exhausted:
      return {
        verdict: HistoryVerdict.incomplete,
        exhaustion: result.exhaustion,
        visitedStates: result.visitedStates,
      };
    case WglVerdict.notLinearizable:
      return {
        verdict: HistoryVerdict.notLinearizable,
        explanation: explainListFailure(key, search.entries, result, search.positions),
        operations: search.entries,
      };
  }
}
