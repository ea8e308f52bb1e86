/**
 * The strict reader of history files (`history.jsonl`): one JSON object per line, each a record
 * of `history-record.ts`. Every line must be a record; the only line that may be empty is the
 * one after the final newline. Times are read from the source text, so they stay exact past 2^53.
 */
import { checkRecord, type CheckedRecord } from "./checked-record.js";
import { MalformedHistoryError } from "./malformed-history-error.js";
import { objectKindsByKey } from "./object-kinds-by-key.js";
import { rawNumberMembers } from "./raw-number-members.js";

/** The members that hold times: read from the source text when they are numbers. */
const TIME_MEMBERS = ["call", "return"] as const;

/**
 * Parses a history file's text. Record `i` of the answer is line `i + 1` of the file.
 *
 * @throws {MalformedHistoryError} with the 1-based line of the first bad line: not JSON, not a
 *   record, a time that is not a non-negative integer, a return before its call, an output that
 *   does not fit, an unknown field, an empty line, or a key used as both register and list.
 *
 * @example
 * ```ts
 * const records = parseHistory(
 *   '{"client":1,"key":"g1/x","op":"put","value":"a","call":10,"return":20}\n' +
 *     '{"client":2,"key":"g1/x","op":"get","output":"a","call":21,"return":30}\n',
 * );
 * records[1]?.call; // 21n
 * ```
 */
export function parseHistory(text: string): CheckedRecord[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const records = lines.map((rawLine, index) => parseLine(rawLine, index + 1));
  objectKindsByKey(records, (index) => ({ line: index + 1 }));
  return records;
}

function parseLine(rawLine: string, line: number): CheckedRecord {
  const source = rawLine.endsWith("\r") ? rawLine.slice(0, -1) : rawLine;
  if (source.trim() === "") throw new MalformedHistoryError({ line }, "an empty line");
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new MalformedHistoryError({ line }, `not JSON: ${reason}`);
  }
  const result = checkRecord(withExactTimes(source, value));
  if (result.problem !== undefined) throw new MalformedHistoryError({ line }, result.problem);
  return result.record;
}

/** `value` with number times replaced by their source text, which `checkRecord` reads exactly. */
function withExactTimes(source: string, value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const fields = value as Record<string, unknown>;
  if (!TIME_MEMBERS.some((name) => typeof fields[name] === "number")) return value;
  const raw = rawNumberMembers(source);
  const exact = { ...fields };
  for (const name of TIME_MEMBERS) {
    const text = raw.get(name);
    if (typeof fields[name] === "number" && text !== undefined) exact[name] = text;
  }
  return exact;
}
