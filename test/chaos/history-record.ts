/**
 * One line of `history.jsonl`: a client operation with its call and return times
 * (CLOCK_MONOTONIC ns, comparable across the processes of one machine). `return: null` means
 * the outcome is unknown (a timeout, a lost connection): the write may or may not have applied.
 * The format is documented in docs/reliability.md and read by `npm run check-history`.
 */

/** The operations of the chaos workload. */
export type HistoryOp = "put" | "get" | "cas" | "append" | "read-list";

/** One client operation. */
export interface HistoryRecord {
  /** The sequential client (a new number after an operation whose outcome is unknown). */
  readonly client: number;
  /** `<group>/<key>`. */
  readonly key: string;
  readonly op: HistoryOp;
  /** What a put, cas or append writes (unique per write). */
  readonly value?: string;
  /** What a cas expects (null: absent). */
  readonly expected?: string | null;
  /** get: the value or null; read-list: the array; cas: whether it swapped. */
  readonly output?: string | null | readonly string[] | boolean;
  readonly call: number;
  readonly return: number | null;
}

/** True for the writes, whose values must survive once acknowledged. */
export function isWrite(record: HistoryRecord): boolean {
  return record.op === "put" || record.op === "cas" || record.op === "append";
}

/** True when the write was acknowledged as applied (a cas only when it swapped). */
export function isAckedWrite(record: HistoryRecord): boolean {
  if (!isWrite(record) || record.return === null) return false;
  return record.op !== "cas" || record.output === true;
}

/** The group of a `<group>/<key>` key. */
export function groupOfKey(key: string): string {
  const slash = key.indexOf("/");
  return slash < 0 ? key : key.slice(0, slash);
}
