/**
 * What one key's linearizability search may spend: a deterministic budget in memo states (the
 * simulators use it alone, so a seed replays identically) and, optionally, a wall-clock deadline
 * (the chaos run and `npm run check-history` use it). A search that runs out of either stops
 * with an incomplete answer, never a pass.
 */

/** A point in time after which a search must stop. */
export interface Deadline {
  /** Whether the deadline has passed. Called every few thousand search steps, never per step. */
  readonly expired: () => boolean;
}

/** Why a search stopped before deciding. */
export const BudgetExhaustion = {
  /** The memo cache reached its bound (`maxStates`). */
  states: "states",
  /** The wall-clock deadline passed. */
  time: "time",
} as const;

/** One of `BudgetExhaustion`'s values. */
export type BudgetExhaustion = (typeof BudgetExhaustion)[keyof typeof BudgetExhaustion];

/**
 * A deadline `budgetMs` milliseconds after now, on the clock `nowMs` (milliseconds, monotonic).
 * An infinite budget never expires and never reads the clock.
 *
 * @throws {RangeError} when `budgetMs` is not positive.
 *
 * @example
 * ```ts
 * const deadline = deadlineAfter(10_000, monotonicNowMs);
 * deadline.expired(); // false for the next ten seconds
 * ```
 */
export function deadlineAfter(budgetMs: number, nowMs: () => number): Deadline {
  if (!(budgetMs > 0)) throw new RangeError(`a time budget must be positive, got ${budgetMs} ms`);
  if (budgetMs === Number.POSITIVE_INFINITY) return { expired: () => false };
  const endMs = nowMs() + budgetMs;
  return { expired: () => nowMs() >= endMs };
}
