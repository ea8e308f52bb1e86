/**
 * The history file's records, as the chaos run writes them to `history.jsonl` (one JSON object
 * per line) and as `checkHistory` takes them. Registers (put, get, cas) and lists (append,
 * read-list) share the format; one key holds one kind of object, never both.
 */

/** Any JSON value. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [member: string]: JsonValue };

/**
 * A nanosecond timestamp. Files may hold integers past 2^53, so it is compared exactly as a
 * `bigint`; in memory a safe integer `number` or a decimal string is accepted too.
 */
export type HistoryTime = bigint | number | string;

/** The fields every record has. */
interface RecordCommon {
  /** Which client issued the operation: a non-negative integer. */
  readonly client: number;
  /** The key, `<group>/<key>` in the chaos run; one independent check per key. */
  readonly key: string;
  /** When the client invoked the operation. */
  readonly call: HistoryTime;
  /**
   * When the client saw the answer, not before `call`; `null` when the outcome is unknown (the
   * operation may take effect at any time after its call, or never).
   */
  readonly return: HistoryTime | null;
}

/** A register write; `value` is never `null` (which stands for "absent"). */
export interface PutRecord extends RecordCommon {
  readonly op: "put";
  readonly value: JsonValue;
  readonly output?: null;
}

/** A linearizable register read; `output` is the value read, `null` when absent. */
export interface GetRecord extends RecordCommon {
  readonly op: "get";
  /** Required when `return` is set; omitted or `null` when the outcome is unknown. */
  readonly output?: JsonValue;
}

/** A compare-and-set: writes `value` if the register holds `expected` (`null` = absent). */
export interface CasRecord extends RecordCommon {
  readonly op: "cas";
  readonly expected: JsonValue;
  readonly value: JsonValue;
  /** Whether it swapped; required when `return` is set, omitted or `null` otherwise. */
  readonly output?: boolean | null;
}

/** Appends `value` to the list at `key`. */
export interface AppendRecord extends RecordCommon {
  readonly op: "append";
  readonly value: JsonValue;
  readonly output?: null;
}

/** Reads the whole list at `key` (`[]` when absent). */
export interface ReadListRecord extends RecordCommon {
  readonly op: "read-list";
  /** The list read; required when `return` is set, omitted or `null` otherwise. */
  readonly output?: readonly JsonValue[] | null;
}

/** One client operation of a history. */
export type HistoryRecord = PutRecord | GetRecord | CasRecord | AppendRecord | ReadListRecord;

/** The operation names, and which object each works on. */
export const OBJECT_KIND_OF_OP = {
  put: "register",
  get: "register",
  cas: "register",
  append: "list",
  "read-list": "list",
} as const;

/** One of the `op` names. */
export type HistoryOp = keyof typeof OBJECT_KIND_OF_OP;

/** The object a key holds: a register or a list. */
export type ObjectKind = (typeof OBJECT_KIND_OF_OP)[HistoryOp];
