/**
 * The base of every typed operating error of the runtime (STYLE.md §5). An operating error —
 * not leader, overloaded, timed out, stopped — is expected and carries a stable `code` that
 * survives the wire and package copies; a broken invariant is an `AssertionError` instead.
 */

/** Every runtime error code. `as const` object with a derived type, not a TS enum. */
export const ErrorCode = {
  NotLeader: "NOT_LEADER",
  ProposalTimeout: "PROPOSAL_TIMEOUT",
  ProposalDropped: "PROPOSAL_DROPPED",
  ProposalOutcomeUnknown: "PROPOSAL_OUTCOME_UNKNOWN",
  Overloaded: "OVERLOADED",
  TooLarge: "TOO_LARGE",
  GroupNotFound: "GROUP_NOT_FOUND",
  SubscriberLag: "SUBSCRIBER_LAG",
  Stopped: "STOPPED",
  InvalidId: "INVALID_ID",
  CommandFailed: "COMMAND_FAILED",
  BadRequest: "BAD_REQUEST",
  MembershipChangeRefused: "MEMBERSHIP_CHANGE_REFUSED",
  /** Storage operating errors (`@flotilla/storage-lmdb`'s `StorageError` subclasses). */
  StorageFull: "STORAGE_FULL",
  StorageCorruption: "STORAGE_CORRUPTION",
  StorageFormatVersion: "STORAGE_FORMAT_VERSION",
  StorageClosed: "STORAGE_CLOSED",
  StorageWriteFailed: "STORAGE_WRITE_FAILED",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Base of every typed runtime error: `code` is stable and machine-readable, `name` equals the
 * class name, and `cause` is passed through.
 *
 * @example
 * try {
 *   await group.propose(command);
 * } catch (error) {
 *   if (isFlotillaError(error) && error.code === ErrorCode.Overloaded) backOff();
 * }
 */
export abstract class FlotillaError extends Error {
  /** Stable machine-readable code; compare it rather than using `instanceof`. */
  abstract readonly code: ErrorCode;
}

/** True when `error` carries `code`, from any copy of this package (or off the wire). */
export function hasErrorCode(error: unknown, code: ErrorCode): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === code;
}

const CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** True for any {@link FlotillaError}, judged by its `code`. */
export function isFlotillaError(error: unknown): error is FlotillaError {
  return (
    typeof error === "object" &&
    error !== null &&
    "code" in error &&
    typeof error.code === "string" &&
    CODES.has(error.code)
  );
}
