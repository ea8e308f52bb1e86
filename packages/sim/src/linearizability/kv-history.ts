/**
 * The public linearizability check for key-value histories: validate, partition by key, run the
 * WGL search on each key, and explain the first key that fails. A `linearizable` answer is
 * backed by a witness order for every key; a key whose search gave up makes the answer
 * `incomplete`, never a pass.
 */
import { checkKvKey } from "./check-kv-key.js";
import { validateHistory, type HistoryOperation } from "./history-operation.js";
import { HistoryVerdict } from "./key-verdict.js";
import { partitionByKey } from "./partition-by-key.js";

/** The checker's answer. */
export interface LinearizabilityResult {
  /**
   * `linearizable` only when every key's search found a linearization; `not-linearizable` when
   * some key certainly has none; `incomplete` when none was found to fail but some key's search
   * ran out of budget (so nothing was proved about that key).
   */
  readonly verdict: HistoryVerdict;
  /** `true` exactly when `verdict` is `linearizable`. */
  readonly ok: boolean;
  /** The failing key; or, when incomplete, the first key not finished. */
  readonly key?: string;
  /** A human-readable account: the key, the operations involved and where ordering them fails. */
  readonly explanation?: string;
  /** The (shrunk) operations of the failing key that have no linearization on their own. */
  readonly operations?: readonly HistoryOperation[];
  /** The keys whose search ran out of budget, in order of first appearance. */
  readonly incompleteKeys: readonly string[];
}

/** Bounds for `checkKvHistory`. */
export interface CheckKvHistoryOptions {
  /** Memo-cache entries one key's search may create before it gives up. */
  readonly maxStatesPerKey?: number;
}

/** The default of `CheckKvHistoryOptions.maxStatesPerKey`. */
export const MAX_STATES_PER_KEY_DEFAULT = 2_000_000;

/**
 * Checks that `history` is linearizable against a key-value store with put, get, compare-and-set
 * and delete, where every key starts absent.
 *
 * Rules: a completed operation took effect at one instant in `[callTime, returnTime]`; an
 * operation returning at `t` precedes one called at `t'` only when `t < t'`. An unknown-outcome
 * write took effect at some instant after its call or never; an unknown-outcome `get` is
 * ignored. Keys are checked in order of first appearance and the first failing key is
 * reported; the operations of different keys never constrain each other. The budget is in memo
 * states only, so the answer is a deterministic function of the history (the simulators rely on
 * it to replay seeds).
 *
 * @throws {RangeError} when an operation is malformed (see `validateHistory`) or
 *   `maxStatesPerKey` is not a positive integer.
 *
 * @example
 * ```ts
 * const result = checkKvHistory([
 *   { clientId: "a", input: { kind: "put", key: "x", value: "1" }, callTime: 0, returnTime: 2, output: { kind: "put" } },
 *   { clientId: "b", input: { kind: "get", key: "x" }, callTime: 3, returnTime: 4, output: { kind: "get", value: undefined } },
 * ]);
 * // result.verdict === "not-linearizable"; result.key === "x": the read ran after the put
 * // returned yet saw nothing.
 * ```
 */
export function checkKvHistory(
  history: readonly HistoryOperation[],
  options: CheckKvHistoryOptions = {},
): LinearizabilityResult {
  validateHistory(history);
  const maxStates = options.maxStatesPerKey ?? MAX_STATES_PER_KEY_DEFAULT;
  if (!Number.isInteger(maxStates) || maxStates < 1) {
    throw new RangeError(`maxStatesPerKey must be a positive integer, got ${maxStates}`);
  }
  const incompleteKeys: string[] = [];
  for (const [key, operations] of partitionByKey(history)) {
    const result = checkKvKey(key, operations, { maxStates });
    if (result.verdict === HistoryVerdict.incomplete) {
      incompleteKeys.push(key);
    } else if (result.verdict === HistoryVerdict.notLinearizable) {
      return {
        verdict: HistoryVerdict.notLinearizable,
        ok: false,
        key,
        explanation: result.explanation,
        operations: result.operations.map((entry) => entry.operation),
        incompleteKeys,
      };
    }
  }
  const firstIncomplete = incompleteKeys[0];
  if (firstIncomplete === undefined) {
    return { verdict: HistoryVerdict.linearizable, ok: true, incompleteKeys };
  }
  return {
    verdict: HistoryVerdict.incomplete,
    ok: false,
    key: firstIncomplete,
    incompleteKeys,
    explanation:
      `incomplete: no violation found, but the search gave up after ${maxStates} states on ` +
      `${incompleteKeys.length} key(s): ${incompleteKeys.map((key) => JSON.stringify(key)).join(", ")}`,
  };
}
