/**
 * The linearizability check of a recorded history (the chaos run's `history.jsonl`, or any
 * history in that format): validate every record, split by key, check each register key and
 * each list key on its own within a budget, and give one of three verdicts. `incomplete` is
 * never a pass: it means some key's search ran out of budget before deciding.
 */
import { checkKvKey } from "./check-kv-key.js";
import { checkListKey } from "./check-list-key.js";
import { canonicalValue } from "./canonical-value.js";
import { checkRecord, type CheckedRecord } from "./checked-record.js";
import type { HistoryOperation, KvOperation, KvOutput } from "./history-operation.js";
import type { HistoryRecord } from "./history-record.js";
import { HistoryVerdict, type KeyBudget, type KeyVerdict } from "./key-verdict.js";
import type { ListEntry } from "./list-failure-report.js";
import type { ListOperation, ListOutput } from "./list-model.js";
import { MalformedHistoryError } from "./malformed-history-error.js";
import { monotonicNowMs } from "./monotonic-now.js";
import { objectKindsByKey } from "./object-kinds-by-key.js";
import type { IndexedOperation } from "./partition-by-key.js";
import { deadlineAfter } from "./search-budget.js";
import { searchTimes, type SearchTimes } from "./search-times.js";

/** Bounds for `checkHistory`. */
export interface CheckHistoryOptions {
  /**
   * Wall-clock milliseconds one key's search may take (and, separately, explaining a failure);
   * `Infinity` for none. Default `BUDGET_MS_PER_KEY_DEFAULT`.
   */
  readonly budgetMsPerKey?: number;
  /**
   * Memo states one key's search may create: the deterministic budget, and the bound on its
   * memory. Default: as many as fit `MEMO_BYTES_PER_KEY_MAX` for the key's size.
   */
  readonly maxStatesPerKey?: number;
  /** The monotonic clock of the time budget, in ms. Default: Node's `process.hrtime`. */
  readonly nowMs?: () => number;
}

/** The answer of `checkHistory`. */
export interface HistoryCheckResult {
  /**
   * `linearizable`: every key has a linearization (a witness order was found for each).
   * `not-linearizable`: `failure.key` certainly has none. `incomplete`: no key failed, but the
   * keys in `incompleteKeys` ran out of budget, so nothing is proved about them.
   */
  readonly verdict: HistoryVerdict;
  /** Distinct keys in the history. */
  readonly keys: number;
  /** Records in the history (unknown-outcome reads included, though they are not checked). */
  readonly operations: number;
  /** Keys whose search ran out of budget, in order of first appearance (up to a failure). */
  readonly incompleteKeys: readonly string[];
  /** The first key found not linearizable (keys are checked in order of first appearance). */
  readonly failure?: { readonly key: string; readonly explanation: string };
}

/** The default of `CheckHistoryOptions.budgetMsPerKey`. */
export const BUDGET_MS_PER_KEY_DEFAULT = 10_000;
/** The memory one key's memo may use by default: it bounds the default state budget. */
export const MEMO_BYTES_PER_KEY_MAX = 256 * 1024 * 1024;
/** The memo's cost per state besides its bitsets (arrays, map entries, the state itself). */
const MEMO_BYTES_PER_STATE_BASE = 64;
/** The default state budget never goes below this, however large the key. */
const STATES_PER_KEY_MIN = 10_000;

/**
 * Checks that `records` are linearizable: every register key (put, get, cas) against a register
 * that starts absent, every list key (append, read-list) against a list that starts empty.
 *
 * Rules: an operation took effect at one instant between its call and its return; A precedes B
 * when A returned strictly before B was called. An operation with `return: null` took effect at
 * some instant after its call, or never; a `get` or `read-list` with `return: null` tells
 * nothing and is dropped. Keys never constrain each other. Checking stops at the first key that
 * fails.
 *
 * @throws {MalformedHistoryError} naming the first record that breaks the format (index given).
 * @throws {RangeError} when a budget is not positive.
 *
 * @example
 * ```ts
 * const result = checkHistory(parseHistory(text), { budgetMsPerKey: 10_000 });
 * if (result.verdict !== "linearizable") console.log(result.failure ?? result.incompleteKeys);
 * ```
 */
export function checkHistory(
  records: readonly HistoryRecord[],
  options: CheckHistoryOptions = {},
): HistoryCheckResult {
  const checked = records.map((record, index) => {
    const result = checkRecord(record);
    if (result.problem !== undefined) throw new MalformedHistoryError({ index }, result.problem);
    return result.record;
  });
  const kinds = objectKindsByKey(checked, (index) => ({ index }));
  const newBudget = budgetFactory(options);
  const times = searchTimes(checked);
  const incompleteKeys: string[] = [];
  const base = { keys: kinds.size, operations: records.length };
  for (const [key, indexes] of checkedIndexesByKey(checked)) {
    const budget = newBudget(indexes.length);
    const verdict: KeyVerdict<unknown> =
      kinds.get(key) === "list"
        ? checkListKey(key, listEntries(checked, indexes, times), budget)
        : checkKvKey(key, registerEntries(checked, indexes, times), budget);
    if (verdict.verdict === HistoryVerdict.incomplete) incompleteKeys.push(key);
    if (verdict.verdict === HistoryVerdict.notLinearizable) {
      const explanation = [
        verdict.explanation,
        times.legend,
        "history[i] is record i, counting from 0 (line i+1 of a history file).",
      ].join("\n");
      return {
        ...base,
        verdict: HistoryVerdict.notLinearizable,
        incompleteKeys,
        failure: { key, explanation },
      };
    }
  }
  const verdict =
    incompleteKeys.length === 0 ? HistoryVerdict.linearizable : HistoryVerdict.incomplete;
  return { ...base, verdict, incompleteKeys };
}

/** Per key budgets from the options, validated once. */
function budgetFactory(options: CheckHistoryOptions): (operationCount: number) => KeyBudget {
  const budgetMs = options.budgetMsPerKey ?? BUDGET_MS_PER_KEY_DEFAULT;
  if (!(budgetMs > 0)) throw new RangeError(`budgetMsPerKey must be positive, got ${budgetMs}`);
  const maxStates = options.maxStatesPerKey;
  if (maxStates !== undefined && (!Number.isInteger(maxStates) || maxStates < 1)) {
    throw new RangeError(`maxStatesPerKey must be a positive integer, got ${maxStates}`);
  }
  const nowMs = options.nowMs ?? monotonicNowMs;
  return (operationCount) => ({
    maxStates: maxStates ?? defaultMaxStates(operationCount),
    newDeadline: () => deadlineAfter(budgetMs, nowMs),
  });
}

/** As many states as the memo can hold in `MEMO_BYTES_PER_KEY_MAX` for a key this size. */
function defaultMaxStates(operationCount: number): number {
  // Each state keeps a bitset of the key's operations (32 per 4-byte word).
  const bytesPerState = MEMO_BYTES_PER_STATE_BASE + 4 * Math.ceil(operationCount / 32);
  return Math.max(STATES_PER_KEY_MIN, Math.floor(MEMO_BYTES_PER_KEY_MAX / bytesPerState));
}

/** Record indexes by key, keys in order of first appearance; unknown-outcome reads dropped. */
function checkedIndexesByKey(records: readonly CheckedRecord[]): Map<string, number[]> {
  const byKey = new Map<string, number[]>();
  records.forEach((record, index) => {
    const isRead = record.op === "get" || record.op === "read-list";
    if (isRead && record.return === null) return;
    const indexes = byKey.get(record.key);
    if (indexes === undefined) byKey.set(record.key, [index]);
    else indexes.push(index);
  });
  return byKey;
}

function registerEntries(
  records: readonly CheckedRecord[],
  indexes: readonly number[],
  times: SearchTimes,
): IndexedOperation[] {
  return indexes.map((index) => {
    const record = records[index] as CheckedRecord;
    const returnTime = times.return[index];
    const operation: HistoryOperation = {
      clientId: String(record.client),
      input: registerInput(record),
      callTime: times.call[index] ?? 0,
      returnTime,
      output: returnTime === undefined ? undefined : registerOutput(record),
    };
    return { index, operation };
  });
}

function registerInput(record: CheckedRecord): KvOperation {
  const { key } = record;
  switch (record.op) {
    case "put":
      return { kind: "put", key, value: canonicalValue(record.value) };
    case "get":
      return { kind: "get", key };
    case "cas": {
      const expected = record.expected === null ? undefined : canonicalValue(record.expected);
      return { kind: "cas", key, expected, value: canonicalValue(record.value) };
    }
    case "append":
    case "read-list":
      throw new RangeError(`a ${record.op} on register key ${key}`);
  }
}

function registerOutput(record: CheckedRecord): KvOutput {
  switch (record.op) {
    case "put":
      return { kind: "put" };
    case "get": {
      const value = record.output ?? null;
      return { kind: "get", value: value === null ? undefined : canonicalValue(value) };
    }
    case "cas":
      return { kind: "cas", ok: record.output === true };
    case "append":
    case "read-list":
      throw new RangeError(`a ${record.op} on register key ${record.key}`);
  }
}

function listEntries(
  records: readonly CheckedRecord[],
  indexes: readonly number[],
  times: SearchTimes,
): ListEntry[] {
  return indexes.map((index) => {
    const record = records[index] as CheckedRecord;
    const returnTime = times.return[index];
    let input: ListOperation;
    let output: ListOutput | undefined;
    if (record.op === "append") {
      input = { kind: "append", value: canonicalValue(record.value) };
      output = returnTime === undefined ? undefined : { kind: "append" };
    } else if (record.op === "read-list") {
      input = { kind: "read-list" };
      const values = (record.output ?? []).map(canonicalValue);
      output = returnTime === undefined ? undefined : { kind: "read-list", values };
    } else {
      throw new RangeError(`a ${record.op} on list key ${record.key}`);
    }
    const operation = {
      input,
      output,
      callTime: times.call[index] ?? 0,
      returnTime: returnTime ?? Infinity,
    };
    return { index, clientId: String(record.client), operation };
  });
}
