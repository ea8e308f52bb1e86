/**
 * The one error the wire codec raises: whatever bytes arrive (garbage, truncated, a wrong type,
 * an unknown message type, another protocol version), decoding either returns well-typed values
 * or throws a {@link WireFormatError} — never anything else (STYLE.md §5: bad input is rejected
 * once, at the edge).
 */

/** The transport's error codes. `as const` object with a derived type, not a TS enum. */
export const TransportErrorCode = {
  WireFormat: "WIRE_FORMAT",
} as const;
export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];

/**
 * Bytes that are not a valid message of this protocol. `path` locates the offending value
 * (`messages[3].entries[0].index`), `reason` says what was wrong with it.
 *
 * @example
 * try {
 *   decodeBatch(bytes);
 * } catch (error) {
 *   if (isWireFormatError(error)) logger.warn({ path: error.path, reason: error.reason });
 * }
 */
export class WireFormatError extends Error {
  override readonly name = "WireFormatError";
  readonly code = TransportErrorCode.WireFormat;
  /** Where in the decoded value the problem is (`""` for the bytes themselves). */
  readonly path: string;
  /** What was wrong. */
  readonly reason: string;

  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(
      path === "" ? `bad wire format: ${reason}` : `bad wire format at ${path}: ${reason}`,
      options,
    );
    this.path = path;
    this.reason = reason;
  }
}

/** True for a {@link WireFormatError} from any copy of this package, judged by its `code`. */
export function isWireFormatError(error: unknown): error is WireFormatError {
  return (
    typeof error === "object" &&
    error !== null &&
    "code" in error &&
    error.code === TransportErrorCode.WireFormat
  );
}
