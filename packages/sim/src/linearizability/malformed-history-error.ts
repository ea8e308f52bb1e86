/**
 * The one error of the history checker's input: a record (or a file's line) that does not follow
 * the history format. A bad record is always an error, never skipped: a checker that drops what
 * it cannot read could pass a history it never saw.
 */

/** Where the bad record sits: its line in a history file, or its index in an array. */
export type RecordLocation =
  | { readonly line: number; readonly index?: never }
  | { readonly index: number; readonly line?: never };

/**
 * A history record that breaks the format.
 *
 * @example
 * ```ts
 * try {
 *   parseHistory(text);
 * } catch (error) {
 *   if (isMalformedHistoryError(error)) console.error(error.message); // "line 3: ..."
 * }
 * ```
 */
export class MalformedHistoryError extends Error {
  override readonly name = "MalformedHistoryError";
  readonly code = "MALFORMED_HISTORY";
  /** The 1-based line of a history file, when the record came from one. */
  readonly line: number | undefined;
  /** The 0-based index in the array given to `checkHistory`, when it came from one. */
  readonly index: number | undefined;
  /** What is wrong, without the location. */
  readonly reason: string;

  constructor(location: RecordLocation, reason: string) {
    const where =
      location.line === undefined ? `history[${location.index}]` : `line ${location.line}`;
    super(`${where}: ${reason}`);
    this.line = location.line;
    this.index = location.index;
    this.reason = reason;
  }
}

/** Whether `error` is a `MalformedHistoryError`, across package copies too. */
export function isMalformedHistoryError(error: unknown): error is MalformedHistoryError {
  return (
    error instanceof Error && (error as { readonly code?: unknown }).code === "MALFORMED_HISTORY"
  );
}
