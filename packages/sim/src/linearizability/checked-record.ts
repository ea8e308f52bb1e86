/**
 * The strict reading of one history record: every field present that the operation needs, no
 * field it does not, times as exact `bigint`s with `return >= call`, and an output exactly when
 * the outcome is known. Both `parseHistory` (a file) and `checkHistory` (records in memory) use
 * it, so the two accept the same histories.
 */
import { OBJECT_KIND_OF_OP, type HistoryOp, type HistoryRecord } from "./history-record.js";

/** A record that passed `checkRecord`: its times are exact. */
export type CheckedRecord = HistoryRecord & {
  readonly call: bigint;
  readonly return: bigint | null;
};

/** `checkRecord`'s answer: the record, or what is wrong with it. */
export type RecordCheck =
  { readonly record: CheckedRecord; readonly problem?: never } | { readonly problem: string };

/** The fields each operation may carry besides the common ones. */
const FIELDS_OF_OP: Readonly<Record<HistoryOp, readonly string[]>> = {
  put: ["value", "output"],
  get: ["output"],
  cas: ["expected", "value", "output"],
  append: ["value", "output"],
  "read-list": ["output"],
};
const COMMON_FIELDS = ["client", "key", "op", "call", "return"];
const DECIMAL = /^[0-9]+$/;

/**
 * Reads `raw` as a history record.
 *
 * @example
 * ```ts
 * checkRecord({ client: 1, key: "g1/x", op: "get", output: null, call: 5, return: 9 }).record;
 * checkRecord({ client: 1, key: "g1/x", op: "get", call: 5, return: 9 }).problem;
 * // "a get that returned needs an output (null for absent)"
 * ```
 */
export function checkRecord(raw: unknown): RecordCheck {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { problem: "a record must be a JSON object" };
  }
  const fields = raw as Readonly<Record<string, unknown>>;
  const op = fields["op"];
  if (typeof op !== "string" || !Object.hasOwn(OBJECT_KIND_OF_OP, op)) {
    return {
      problem: `op must be one of ${Object.keys(OBJECT_KIND_OF_OP).join(", ")}, got ${show(op)}`,
    };
  }
  const historyOp = op as HistoryOp;
  const allowed = new Set([...COMMON_FIELDS, ...FIELDS_OF_OP[historyOp]]);
  const unknown = Object.keys(fields).find((name) => !allowed.has(name));
  if (unknown !== undefined)
    return { problem: `a ${op} record has no field ${JSON.stringify(unknown)}` };
  const client = fields["client"];
  if (typeof client !== "number" || !Number.isSafeInteger(client) || client < 0) {
    return { problem: `client must be a non-negative integer, got ${show(client)}` };
  }
  const key = fields["key"];
  if (typeof key !== "string" || key.length === 0) {
    return { problem: `key must be a non-empty string, got ${show(key)}` };
  }
  const call = exactTime(fields["call"]);
  if (call === undefined)
    return { problem: `call must be a non-negative integer time, got ${show(fields["call"])}` };
  const returned = fields["return"] === null ? null : exactTime(fields["return"]);
  if (returned === undefined) {
    return {
      problem: `return must be a non-negative integer time or null, got ${show(fields["return"])}`,
    };
  }
  if (returned !== null && returned < call)
    return { problem: `return ${returned} is before call ${call}` };
  const problem = payloadProblem(historyOp, fields, returned !== null);
  if (problem !== undefined) return { problem };
  return { record: { ...(fields as unknown as HistoryRecord), call, return: returned } };
}

/** What is wrong with the operation's own fields, if anything. */
function payloadProblem(
  op: HistoryOp,
  fields: Readonly<Record<string, unknown>>,
  returned: boolean,
): string | undefined {
  const output = fields["output"];
  if (!returned && output !== undefined && output !== null) {
    return `a ${op} whose outcome is unknown (return null) cannot have an output, got ${show(output)}`;
  }
  switch (op) {
    case "put":
    case "append":
      if (fields["value"] === undefined) return `a ${op} needs a value`;
      if (op === "put" && fields["value"] === null)
        return "a put value cannot be null (null stands for absent)";
      if (output !== undefined && output !== null)
        return `a ${op} has no output but null, got ${show(output)}`;
      return undefined;
    case "get":
      return returned && output === undefined
        ? "a get that returned needs an output (null for absent)"
        : undefined;
    case "cas":
      if (fields["expected"] === undefined)
        return "a cas needs an expected value (null for absent)";
      if (fields["value"] === undefined) return "a cas needs a value";
      if (fields["value"] === null) return "a cas value cannot be null (null stands for absent)";
      if (returned && typeof output !== "boolean")
        return `a cas that returned needs output true or false, got ${show(output)}`;
      return undefined;
    case "read-list":
      if (returned && !Array.isArray(output))
        return `a read-list that returned needs an array output, got ${show(output)}`;
      return undefined;
  }
}

/** The exact time, or `undefined` when `value` is not a non-negative integer time. */
function exactTime(value: unknown): bigint | undefined {
  if (typeof value === "bigint") return value >= 0n ? value : undefined;
  // A number past 2^53 may already have been rounded: only safe integers are exact.
  if (typeof value === "number")
    return Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : undefined;
  if (typeof value === "string" && DECIMAL.test(value)) return BigInt(value);
  return undefined;
}

/** A short rendering of a bad field for messages. */
function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "bigint") return `${value}n`;
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
