/**
 * The Wing & Gong linearizability search with Lowe's memoization (WGL), shaped like Porcupine's
 * `checkSingle`, over any sequential `Model`. It answers "linearizable" only after finding an
 * order that respects real time and the model, "not linearizable" only after ruling out every
 * such order, and "exhausted" past its state budget; it never guesses.
 */
import type { Model } from "./model.js";
import type { TimedOperation, WglOptions, WglResult } from "./wgl-result.js";
import { WglSearch } from "./wgl-search.js";

/**
 * Searches for a linearization of `operations` against `model`.
 *
 * Contract: an operation A must precede B when `A.returnTime < B.callTime` (strictly). Unknown
 * outcomes (`returnTime === Infinity`) may be linearized after their call or left out: the
 * search succeeds once every completed operation is linearized, which is the same as putting the
 * remaining unknown operations last, where nothing observes them. The work is bounded by
 * `options.maxStates` memo entries (and each scan between two entries by the list's length), and
 * by `options.deadline` when given; either ends the search with `exhausted`, never a pass.
 *
 * @throws {RangeError} when `options.maxStates` is not a positive integer.
 */
export function checkOperations<State, Input, Output>(
  model: Model<State, Input, Output>,
  operations: readonly TimedOperation<Input, Output>[],
  options: WglOptions,
): WglResult<State> {
  if (!Number.isInteger(options.maxStates) || options.maxStates < 1) {
    throw new RangeError(`maxStates must be a positive integer, got ${options.maxStates}`);
  }
  return new WglSearch(model, operations, options.maxStates, options.deadline).run();
}
