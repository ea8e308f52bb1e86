/**
 * One string per JSON value, equal for two values exactly when they are the same JSON value
 * (object members in any order), so the models compare values as strings. A JSON string stands
 * for itself, which keeps explanations readable for the common case; any other value is its
 * canonical JSON behind a control-character mark. A string that itself begins with the mark is
 * encoded as JSON behind the mark too (its JSON begins with a quote, which no other value's
 * does), so no two values ever share an encoding.
 */
import type { JsonValue } from "./history-record.js";

/** Marks an encoded non-string value (or a string that itself began with the mark). */
const NON_STRING_MARK = "\u0001";

/**
 * The canonical encoding of `value`.
 *
 * @example
 * ```ts
 * canonicalValue("v1"); // "v1"
 * canonicalValue({ b: 1, a: [2] }) === canonicalValue({ a: [2], b: 1 }); // true
 * canonicalValue(1) === canonicalValue("1"); // false
 * ```
 */
export function canonicalValue(value: JsonValue): string {
  if (typeof value === "string" && !value.startsWith(NON_STRING_MARK)) return value;
  return NON_STRING_MARK + canonicalJson(value);
}

/** JSON with object members sorted by name and no whitespace. */
function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const members = Object.keys(value)
    .sort()
    .map((name) => `${JSON.stringify(name)}:${canonicalJson(value[name] ?? null)}`);
  return `{${members.join(",")}}`;
}

function isArray(value: JsonValue): value is readonly JsonValue[] {
  return Array.isArray(value);
}
