/**
 * Programmer-error assertions (TigerStyle): a broken invariant stops the replica loudly rather
 * than let it run on with corrupt state. Operating errors never use this.
 */

/** Thrown when an internal invariant is broken. A bug, never bad input. */
export class AssertionError extends Error {
  override readonly name = "AssertionError";
}

/** Throws {@link AssertionError} with `why` unless `condition` holds. */
export function assert(condition: boolean, why: string): asserts condition {
  if (!condition) throw new AssertionError(`assertion failed: ${why}`);
}
