/**
 * The source text of the number members of a JSON object, read from the text itself: JSON.parse
 * rounds integers past 2^53 (Node 20 has no access to a number's source), and nanosecond times
 * reach that range. A scanner over valid JSON only, with every loop moving forward.
 */

/**
 * The top-level members of the JSON object in `json` whose values are numbers, by name, as
 * their source text (the last one wins on a repeated name, as in JSON.parse).
 *
 * Contract: `json` is valid JSON (JSON.parse accepted it) whose top-level value is an object.
 *
 * @example
 * ```ts
 * rawNumberMembers('{"call": 12345678901234567891, "key": "a"}').get("call");
 * // "12345678901234567891"
 * ```
 */
export function rawNumberMembers(json: string): ReadonlyMap<string, string> {
  const numbers = new Map<string, string>();
  let at = skipSpace(json, 0);
  if (json[at] !== "{") throw new RangeError("rawNumberMembers needs a JSON object");
  at = skipSpace(json, at + 1);
  while (at < json.length && json[at] !== "}") {
    const nameEnd = stringEnd(json, at);
    const name = JSON.parse(json.slice(at, nameEnd)) as string;
    at = skipSpace(json, nameEnd);
    at = skipSpace(json, at + 1); // past ":"
    const valueEnd = valueEndAt(json, at);
    const text = json.slice(at, valueEnd);
    if (/^-?[0-9]/.test(text)) numbers.set(name, text);
    else numbers.delete(name);
    at = skipSpace(json, valueEnd);
    if (json[at] === ",") at = skipSpace(json, at + 1);
  }
  return numbers;
}

function skipSpace(json: string, from: number): number {
  let at = from;
  while (at < json.length && " \t\n\r".includes(json[at] ?? "")) at++;
  return at;
}

/** The index after the string that starts at `from` (an opening quote). */
function stringEnd(json: string, from: number): number {
  let at = from + 1;
  while (at < json.length && json[at] !== '"') at += json[at] === "\\" ? 2 : 1;
  return at + 1;
}

/** The index after the value that starts at `from`. */
function valueEndAt(json: string, from: number): number {
  const first = json[from];
  if (first === '"') return stringEnd(json, from);
  if (first === "{" || first === "[") {
    let depth = 0;
    let at = from;
    while (at < json.length) {
      const char = json[at];
      if (char === '"') {
        at = stringEnd(json, at);
        continue;
      }
      if (char === "{" || char === "[") depth++;
      else if (char === "}" || char === "]") depth--;
      at++;
      if (depth === 0) return at;
    }
    return at;
  }
  let at = from;
  while (at < json.length && !",}] \t\n\r".includes(json[at] ?? ",")) at++;
  return at;
}
