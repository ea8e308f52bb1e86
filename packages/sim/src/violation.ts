/**
 * A broken safety or liveness property found by the simulator. Checkers throw it; the seed
 * runner catches it, stops the seed (the state after a violation proves nothing) and reports it
 * with the command that replays it.
 */

/** A property the simulated cluster broke. Never thrown for a simulator-internal mistake. */
export class Violation extends Error {
  override readonly name = "Violation";
}

/**
 * Throws a {@link Violation} described by `describe()` unless `condition` holds. The message is
 * built lazily, so checks on the hot path cost a comparison.
 */
export function expectInvariant(condition: boolean, describe: () => string): asserts condition {
  if (!condition) throw new Violation(describe());
}
