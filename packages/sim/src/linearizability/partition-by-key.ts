/**
 * Splits a key-value history into one sub-history per key, as Porcupine's partitioned KV model
 * does; operations on different keys commute, so each key is checked alone. A `get` of unknown
 * outcome is dropped here: it changed nothing and nobody saw its answer.
 */
import type { HistoryOperation } from "./history-operation.js";

/** An operation together with its position in the original history, for explanations. */
export interface IndexedOperation {
  /** The operation's index in the history given to the checker. */
  readonly index: number;
  readonly operation: HistoryOperation;
}

/**
 * The history's operations grouped by key, keys in order of first appearance, each group in
 * history order. Unknown-outcome reads are left out; a key whose operations are all left out
 * does not appear.
 */
export function partitionByKey(
  history: readonly HistoryOperation[],
): ReadonlyMap<string, readonly IndexedOperation[]> {
  const byKey = new Map<string, IndexedOperation[]>();
  history.forEach((operation, index) => {
    if (operation.input.kind === "get" && operation.returnTime === undefined) return;
    const group = byKey.get(operation.input.key);
    if (group === undefined) byKey.set(operation.input.key, [{ index, operation }]);
    else group.push({ index, operation });
  });
  return byKey;
}
