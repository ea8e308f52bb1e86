/**
 * Typed errors on the wire: `{ code, message, ...fields }` (docs/protocol.md). A node encodes
 * whatever a proposal or read rejected with; a client rebuilds the typed error from its code, so
 * `isNotLeaderError(e)` and friends work the same on both sides.
 */
import {
  BadRequestError,
  CommandFailedError,
  GroupNotFoundError,
  InvalidIdError,
  MembershipChangeRefusedError,
  NotLeaderError,
  OverloadedError,
  ProposalDroppedError,
  ProposalOutcomeUnknownError,
  ProposalTimeoutError,
  StoppedError,
  SubscriberLagError,
  TooLargeError,
  isFlotillaError,
} from "@flotilla/runtime";

/** An error as it travels. */
export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly groupId?: string;
  readonly leaderHint?: string;
  readonly index?: number;
  readonly term?: number;
  readonly errorName?: string;
  readonly reason?: string;
}

/** Encodes any rejection: a Flotilla error keeps its code and fields; anything else fails the command. */
export function errorToWire(error: unknown): WireError {
  if (isFlotillaError(error)) {
    const fields = error as unknown as Record<string, unknown>;
    const wire: Record<string, unknown> = { code: error.code, message: error.message };
    for (const key of ["groupId", "leaderHint", "index", "term", "errorName", "reason"]) {
      const value = fields[key];
      if (typeof value === "string" || typeof value === "number") wire[key] = value;
    }
    return wire as unknown as WireError;
  }
  const name = error instanceof Error ? error.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  return { code: "COMMAND_FAILED", message, errorName: name };
}

/** Rebuilds the typed error a node sent. An unknown code becomes a `BadRequestError`. */
export function errorFromWire(wire: WireError): Error {
  const groupId = wire.groupId ?? "?";
  switch (wire.code) {
    case "NOT_LEADER":
      return new NotLeaderError(groupId, wire.leaderHint);
    case "PROPOSAL_TIMEOUT":
      return new ProposalTimeoutError(groupId, 0, { cause: new Error(wire.message) });
    case "PROPOSAL_DROPPED":
      return new ProposalDroppedError(groupId, wire.index ?? 0, wire.term ?? 0);
    case "PROPOSAL_OUTCOME_UNKNOWN":
      return new ProposalOutcomeUnknownError(groupId, wire.index ?? 0, wire.term ?? 0);
    case "OVERLOADED":
      return new OverloadedError(wire.groupId, wire.message);
    case "TOO_LARGE":
      return new TooLargeError(0, 0, { cause: new Error(wire.message) });
    case "GROUP_NOT_FOUND":
      return new GroupNotFoundError(groupId);
    case "SUBSCRIBER_LAG":
      return new SubscriberLagError(groupId, wire.index ?? 0);
    case "STOPPED":
      return new StoppedError(wire.message);
    case "INVALID_ID":
      return new InvalidIdError("id", wire.message);
    case "MEMBERSHIP_CHANGE_REFUSED":
      return new MembershipChangeRefusedError(
        groupId,
        wire.reason === "change-pending" ? "change-pending" : "invalid-change",
        wire.message,
      );
    case "COMMAND_FAILED":
      return new CommandFailedError(wire.errorName ?? "Error", wire.message);
    default:
      return new BadRequestError(`${wire.code}: ${wire.message}`);
  }
}
