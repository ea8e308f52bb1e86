/**
 * The public linearizability check for key-value histories: validate, partition by key, run the
 * WGL search on each key, and explain the first key that fails. A `true` answer is backed by a
 * witness order for every key the search finished; keys it gave up on are flagged, never
 * silently passed.
 */
import { validateHistory, type HistoryOperation } from "./history-operation.js";
import { reportKvFailure } from "./kv-failure-report.js";
import { kvKeyModel } from "./kv-model.js";
import { partitionByKey } from "./partition-by-key.js";
import { toKvSearch } from "./kv-search-input.js";
import { checkOperations } from "./wgl-checker.js";
import { WglVerdict } from "./wgl-result.js";

/** The checker's answer. */
export interface LinearizabilityResult {
  /** `false` only when some key certainly has no linearization. */
  readonly ok: boolean;
  /** The failing key; or, when `ok` with `stateSpaceExhausted`, the first key not finished. */
  readonly key?: string;
  /** A human-readable account: the key, the operations involved and where ordering them fails. */
  readonly explanation?: string;
  /** The (shrunk) operations of the failing key that have no linearization on their own. */
  readonly operations?: readonly HistoryOperation[];
  /** `true` when the search gave up on some key: `ok` then means "no violation found". */
  readonly stateSpaceExhausted?: boolean;
}

/** Bounds for `checkKvHistory`. */
export interface CheckKvHistoryOptions {
  /** Memo-cache entries one key's search may create before it gives up. */
  readonly maxStatesPerKey?: number;
}

/** The default of `CheckKvHistoryOptions.maxStatesPerKey`. */
export const MAX_STATES_PER_KEY_DEFAULT = 2_000_000;

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
 * Checks that `history` is linearizable against a key-value store with put, get, compare-and-set
 * and delete, where every key starts absent.
 *
 * Rules: a completed operation took effect at one instant in `[callTime, returnTime]`; an
 * operation returning at `t` precedes one called at `t'` only when `t < t'`. An unknown-outcome
 * write took effect at some instant after its call or never; an unknown-outcome `get` is
 * ignored. Keys are checked in order of first appearance and the first failing key is
 * reported; the operations of different keys never constrain each other.
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
 * // result.ok === false; result.key === "x": the read ran after the put returned yet saw nothing.
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
  const exhaustedKeys: string[] = [];
  for (const [key, operations] of partitionByKey(history)) {
    const search = toKvSearch(operations);
    const result = checkOperations(kvKeyModel, search.operations, { maxStates });
    if (result.verdict === WglVerdict.exhausted) {
      exhaustedKeys.push(key);
    } else if (result.verdict === WglVerdict.notLinearizable) {
      const report = reportKvFailure(
        key,
        operations,
        { entries: search.entries, result },
        {
          statesMax: Math.max(SHRINK_STATES_MIN, SHRINK_STATES_FACTOR * result.visitedStates),
          statesPerAttemptMax: Math.min(
            maxStates,
            Math.max(SHRINK_ATTEMPT_STATES_MIN, 2 * result.visitedStates),
          ),
          attemptsMax: SHRINK_ATTEMPTS_MAX,
        },
      );
      return {
        ok: false,
        key,
        explanation: report.explanation,
        operations: report.operations.map((entry) => entry.operation),
      };
    }
  }
  const firstExhausted = exhaustedKeys[0];
  if (firstExhausted === undefined) return { ok: true };
  return {
    ok: true,
    key: firstExhausted,
    stateSpaceExhausted: true,
    explanation:
      `no violation found, but the search gave up after ${maxStates} states on ` +
      `${exhaustedKeys.length} key(s): ${exhaustedKeys.map((key) => JSON.stringify(key)).join(", ")}`,
  };
}
