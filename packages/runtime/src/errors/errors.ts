/**
 * One class per operating condition a caller can meet, each with structured fields, and a type
 * guard per class that checks `code` (so it works across package copies and off the wire).
 * The proposal errors say whether the command certainly did not apply (`NotLeaderError`,
 * `OverloadedError`, `ProposalDroppedError`, `TooLargeError`) or may have
 * (`ProposalOutcomeUnknownError`, `ProposalTimeoutError`, `StoppedError`).
 */
import { ErrorCode, FlotillaError, hasErrorCode } from "./flotilla-error.js";

/**
 * This replica does not lead the group (or no leader is known). The command was certainly not
 * applied; retry at `leaderHint` when set, else after a backoff.
 */
export class NotLeaderError extends FlotillaError {
  override readonly name = "NotLeaderError";
  readonly code = ErrorCode.NotLeader;
  /** The group asked. */
  readonly groupId: string;
  /** The node this replica believes leads, if any. */
  readonly leaderHint: string | undefined;

  constructor(groupId: string, leaderHint: string | undefined, options?: ErrorOptions) {
    super(
      `not the leader of group ${groupId}` +
        (leaderHint === undefined ? " (no leader known)" : ` (leader hint: ${leaderHint})`),
      options,
    );
    this.groupId = groupId;
    this.leaderHint = leaderHint;
  }
}

/** The proposal did not resolve within its timeout. It may still apply later. */
export class ProposalTimeoutError extends FlotillaError {
  override readonly name = "ProposalTimeoutError";
  readonly code = ErrorCode.ProposalTimeout;
  readonly groupId: string;
  readonly timeoutMs: number;

  constructor(groupId: string, timeoutMs: number, options?: ErrorOptions) {
    super(
      `proposal to group ${groupId} timed out after ${timeoutMs} ms; it may still apply`,
      options,
    );
    this.groupId = groupId;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A different entry committed at the proposal's index (a new leader overwrote it): the command
 * certainly did not apply.
 */
export class ProposalDroppedError extends FlotillaError {
  override readonly name = "ProposalDroppedError";
  readonly code = ErrorCode.ProposalDropped;
  readonly groupId: string;
  /** The index the proposal was appended at. */
  readonly index: number;
  /** The term the proposal was appended in. */
  readonly term: number;

  constructor(groupId: string, index: number, term: number, options?: ErrorOptions) {
    super(
      `proposal at index ${index} (term ${term}) of group ${groupId} was overwritten: not applied`,
      options,
    );
    this.groupId = groupId;
    this.index = index;
    this.term = term;
  }
}

/**
 * The leader lost leadership after appending the proposal and before learning it committed: it
 * may still commit under the next leader. Retry only with an idempotent command.
 */
export class ProposalOutcomeUnknownError extends FlotillaError {
  override readonly name = "ProposalOutcomeUnknownError";
  readonly code = ErrorCode.ProposalOutcomeUnknown;
  readonly groupId: string;
  readonly index: number;
  readonly term: number;

  constructor(groupId: string, index: number, term: number, options?: ErrorOptions) {
    super(
      `leadership of group ${groupId} was lost with the proposal at index ${index} ` +
        `(term ${term}) appended but not known committed: it may still apply`,
      options,
    );
    this.groupId = groupId;
    this.index = index;
    this.term = term;
  }
}

/** A bound was reached (pending proposals, mailbox, uncommitted bytes). Not applied; back off. */
export class OverloadedError extends FlotillaError {
  override readonly name = "OverloadedError";
  readonly code = ErrorCode.Overloaded;
  /** The group, or undefined for a node-wide bound. */
  readonly groupId: string | undefined;
  /** Which bound, by its setting's name (e.g. `pendingProposalsPerGroupMax`). */
  readonly bound: string;

  constructor(groupId: string | undefined, bound: string, options?: ErrorOptions) {
    super(
      `overloaded${groupId === undefined ? "" : ` (group ${groupId})`}: ${bound} reached; back off and retry`,
      options,
    );
    this.groupId = groupId;
    this.bound = bound;
  }
}

/** A command, query or result exceeds a size bound. Not applied. */
export class TooLargeError extends FlotillaError {
  override readonly name = "TooLargeError";
  readonly code = ErrorCode.TooLarge;
  readonly sizeBytes: number;
  readonly sizeBytesMax: number;

  constructor(sizeBytes: number, sizeBytesMax: number, options?: ErrorOptions) {
    super(`${sizeBytes} bytes exceed the bound of ${sizeBytesMax} bytes`, options);
    this.sizeBytes = sizeBytes;
    this.sizeBytesMax = sizeBytesMax;
  }
}

/** No replica of this group on this node. */
export class GroupNotFoundError extends FlotillaError {
  override readonly name = "GroupNotFoundError";
  readonly code = ErrorCode.GroupNotFound;
  readonly groupId: string;

  constructor(groupId: string, options?: ErrorOptions) {
    super(`group ${groupId} is not hosted on this node`, options);
    this.groupId = groupId;
  }
}

/**
 * A `committed$` subscriber fell further behind than its buffer allows. Resubscribe with
 * `fromIndex: lastIndex + 1` to resume without a gap.
 */
export class SubscriberLagError extends FlotillaError {
  override readonly name = "SubscriberLagError";
  readonly code = ErrorCode.SubscriberLag;
  readonly groupId: string;
  /** The last index delivered to the subscriber (0 if none). */
  readonly lastIndex: number;

  constructor(groupId: string, lastIndex: number, options?: ErrorOptions) {
    super(
      `subscriber of group ${groupId} lagged past its buffer after index ${lastIndex}; ` +
        `resume from ${lastIndex + 1}`,
      options,
    );
    this.groupId = groupId;
    this.lastIndex = lastIndex;
  }
}

/** The node was stopped. A pending proposal may or may not have applied. */
export class StoppedError extends FlotillaError {
  override readonly name = "StoppedError";
  readonly code = ErrorCode.Stopped;
  readonly nodeId: string;

  constructor(nodeId: string, options?: ErrorOptions) {
    super(`node ${nodeId} is stopped`, options);
    this.nodeId = nodeId;
  }
}

/** A node, group or cluster id does not match `[A-Za-z0-9_-]{1,64}`. */
export class InvalidIdError extends FlotillaError {
  override readonly name = "InvalidIdError";
  readonly code = ErrorCode.InvalidId;
  /** What kind of id: `node`, `group` or `cluster`. */
  readonly kind: string;
  readonly value: unknown;

  constructor(kind: string, value: unknown, options?: ErrorOptions) {
    super(`invalid ${kind} id ${JSON.stringify(value)}: expected [A-Za-z0-9_-]{1,64}`, options);
    this.kind = kind;
    this.value = value;
  }
}

/** True for a {@link NotLeaderError}, from any copy of this package. */
/**
 * The state machine refused the command (its `apply` threw) — on every replica alike, so the
 * entry is applied as a failure and a retry fails the same way. Reaches remote clients with the
 * original error's name and message.
 */
export class CommandFailedError extends FlotillaError {
  override readonly name = "CommandFailedError";
  readonly code = ErrorCode.CommandFailed;
  /** The name of the error `apply` threw. */
  readonly errorName: string;

  constructor(errorName: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.errorName = errorName;
  }
}

/**
 * A request that does not follow the wire protocol (docs/protocol.md): bad msgpack, a wrong
 * type, a missing field, an unknown version. Nothing was done.
 */
export class BadRequestError extends FlotillaError {
  override readonly name = "BadRequestError";
  readonly code = ErrorCode.BadRequest;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * The leader refused a membership change: another is still in progress (`change-pending`:
 * retry once it applied) or the change is impossible from the current membership
 * (`invalid-change`, with the reason). Certainly not applied.
 */
export class MembershipChangeRefusedError extends FlotillaError {
  override readonly name = "MembershipChangeRefusedError";
  readonly code = ErrorCode.MembershipChangeRefused;
  readonly groupId: string;
  readonly reason: "change-pending" | "invalid-change";

  constructor(
    groupId: string,
    reason: "change-pending" | "invalid-change",
    detail: string | undefined,
    options?: ErrorOptions,
  ) {
    super(
      `membership change of group ${groupId} refused: ${reason}${detail === undefined ? "" : ` (${detail})`}`,
      options,
    );
    this.groupId = groupId;
    this.reason = reason;
  }
}

export function isNotLeaderError(error: unknown): error is NotLeaderError {
  return hasErrorCode(error, ErrorCode.NotLeader);
}
/** True for a {@link ProposalTimeoutError}, from any copy of this package. */
export function isProposalTimeoutError(error: unknown): error is ProposalTimeoutError {
  return hasErrorCode(error, ErrorCode.ProposalTimeout);
}
/** True for a {@link ProposalDroppedError}, from any copy of this package. */
export function isProposalDroppedError(error: unknown): error is ProposalDroppedError {
  return hasErrorCode(error, ErrorCode.ProposalDropped);
}
/** True for a {@link ProposalOutcomeUnknownError}, from any copy of this package. */
export function isProposalOutcomeUnknownError(
  error: unknown,
): error is ProposalOutcomeUnknownError {
  return hasErrorCode(error, ErrorCode.ProposalOutcomeUnknown);
}
/** True for an {@link OverloadedError}, from any copy of this package. */
export function isOverloadedError(error: unknown): error is OverloadedError {
  return hasErrorCode(error, ErrorCode.Overloaded);
}
/** True for a {@link TooLargeError}, from any copy of this package. */
export function isTooLargeError(error: unknown): error is TooLargeError {
  return hasErrorCode(error, ErrorCode.TooLarge);
}
/** True for a {@link GroupNotFoundError}, from any copy of this package. */
export function isGroupNotFoundError(error: unknown): error is GroupNotFoundError {
  return hasErrorCode(error, ErrorCode.GroupNotFound);
}
/** True for a {@link SubscriberLagError}, from any copy of this package. */
export function isSubscriberLagError(error: unknown): error is SubscriberLagError {
  return hasErrorCode(error, ErrorCode.SubscriberLag);
}
/** True for a {@link StoppedError}, from any copy of this package. */
export function isStoppedError(error: unknown): error is StoppedError {
  return hasErrorCode(error, ErrorCode.Stopped);
}
/** True for an {@link InvalidIdError}, from any copy of this package. */
export function isInvalidIdError(error: unknown): error is InvalidIdError {
  return hasErrorCode(error, ErrorCode.InvalidId);
}
export function isCommandFailedError(error: unknown): error is CommandFailedError {
  return hasErrorCode(error, ErrorCode.CommandFailed);
}
export function isBadRequestError(error: unknown): error is BadRequestError {
  return hasErrorCode(error, ErrorCode.BadRequest);
}
export function isMembershipChangeRefusedError(
  error: unknown,
): error is MembershipChangeRefusedError {
  return hasErrorCode(error, ErrorCode.MembershipChangeRefused);
}
