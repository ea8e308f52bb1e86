/**
 * What checking one key decided, and what the check of one key may spend. A key is decided
 * (linearizable or not) only by a finished search; a search that ran out of budget leaves the
 * key incomplete, which every caller reports as such and never as a pass.
 */
import type { BudgetExhaustion, Deadline } from "./search-budget.js";
import { WglVerdict } from "./wgl-result.js";

/** The three verdicts of a key and of a whole history. */
export const HistoryVerdict = {
  linearizable: WglVerdict.linearizable,
  notLinearizable: WglVerdict.notLinearizable,
  incomplete: "incomplete",
} as const;

/** One of `HistoryVerdict`'s values. */
export type HistoryVerdict = (typeof HistoryVerdict)[keyof typeof HistoryVerdict];

/** One key's verdict; `Operation` is how the failing operations are given back. */
export type KeyVerdict<Operation> =
  | { readonly verdict: typeof HistoryVerdict.linearizable }
  | {
      readonly verdict: typeof HistoryVerdict.notLinearizable;
      readonly explanation: string;
      /** The operations the explanation is about (for registers, shrunk to a conflicting core). */
      readonly operations: readonly Operation[];
    }
  | {
      readonly verdict: typeof HistoryVerdict.incomplete;
      readonly exhaustion: BudgetExhaustion;
      readonly visitedStates: number;
    };

/**
 * The budget of one key: memo states for the search (deterministic), and when given a fresh
 * wall-clock deadline for the search and another for explaining a failure.
 */
export interface KeyBudget {
  readonly maxStates: number;
  readonly newDeadline?: () => Deadline;
}
