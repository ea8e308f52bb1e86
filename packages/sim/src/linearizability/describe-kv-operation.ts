/**
 * One line of text per history operation, for failure explanations: where it sits in the
 * history, who issued it, what it asked and answered, and when. Absent values print as
 * `absent`, never as an empty string, so a read of nothing is visible.
 */
import type { IndexedOperation } from "./partition-by-key.js";

/**
 * Describes an operation, e.g.
 * `history[7] client c2: get => "v3" (called at 40, returned at 44)`.
 */
export function describeKvOperation({ index, operation }: IndexedOperation): string {
  const { input, output, callTime, returnTime } = operation;
  let request: string;
  switch (input.kind) {
    case "put":
      request = `put ${showValue(input.value)}`;
      break;
    case "get":
    case "delete":
      request = input.kind;
      break;
    case "cas":
      request = `cas ${showValue(input.expected)} -> ${showValue(input.value)}`;
      break;
  }
  let answer = "outcome unknown";
  if (output?.kind === "get") answer = showValue(output.value);
  else if (output?.kind === "cas") answer = output.ok ? "swapped" : "not swapped";
  else if (output !== undefined) answer = "ok";
  const timing =
    returnTime === undefined
      ? `called at ${callTime}, never returned`
      : `called at ${callTime}, returned at ${returnTime}`;
  return `history[${index}] client ${operation.clientId}: ${request} => ${answer} (${timing})`;
}

/** A value as JSON, or `absent`. */
export function showValue(value: string | undefined): string {
  return value === undefined ? "absent" : JSON.stringify(value);
}
