/**
 * A delta-debugging shrinker (Zeller's ddmin, simplified) for failing inputs: it drops chunks of
 * halving size while the rest still fails. The result always fails; it is 1-minimal (no single
 * item can go) unless the attempt budget ran out first, and the answer says which.
 */

/** What shrinking left. */
export interface ShrinkResult<T> {
  readonly items: readonly T[];
  /** `true` when no single item could be dropped; `false` when the budget ran out first. */
  readonly minimal: boolean;
}

/**
 * Shrinks `items`, which must fail, to a sub-list that still fails.
 *
 * @param fails whether a candidate sub-list (in the original order) still fails.
 * @param attemptsMax how many times `fails` may be called.
 */
export function shrinkFailure<T>(
  items: readonly T[],
  fails: (candidate: readonly T[]) => boolean,
  attemptsMax: number,
): ShrinkResult<T> {
  let current = items;
  let attempts = 0;
  let chunkSize = Math.max(1, Math.ceil(current.length / 2));
  // Each pass makes at most `current.length` attempts; passes at size 1 repeat only while they
  // drop something, so the loop ends, and `attemptsMax` bounds it outright.
  for (;;) {
    let droppedAny = false;
    let start = 0;
    while (start < current.length) {
      if (attempts >= attemptsMax) return { items: current, minimal: false };
      attempts += 1;
      const candidate = [...current.slice(0, start), ...current.slice(start + chunkSize)];
      if (fails(candidate)) {
        current = candidate;
        droppedAny = true;
      } else {
        start += chunkSize;
      }
    }
    if (chunkSize > 1) {
      chunkSize = Math.max(1, Math.ceil(chunkSize / 2));
    } else if (!droppedAny) {
      return { items: current, minimal: true };
    }
  }
}
