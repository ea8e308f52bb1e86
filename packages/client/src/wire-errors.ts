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
  ErrorCode,
  isFlotillaError,
} from "@flotilla/runtime";

/** An error as it travels: its code, its message, and its class's fields. */
export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly groupId?: string;
  readonly leaderHint?: string;
  readonly index?: number;
  readonly term?: number;
  readonly lastIndex?: number;
  readonly timeoutMs?: number;
  readonly bound?: string;
  readonly sizeBytes?: number;
  readonly sizeBytesMax?: number;
  readonly nodeId?: string;
  readonly kind?: string;
  readonly value?: string;
  readonly errorName?: string;
  readonly reason?: string;
}

/** The fields of the error classes that travel (strings and numbers only). */
const FIELDS = [
  "groupId",
  "leaderHint",
  "index",
  "term",
  "lastIndex",
  "timeoutMs",
  "bound",
  "sizeBytes",
  "sizeBytesMax",
  "nodeId",
  "kind",
  "value",
  "errorName",
  "reason",
] as const;

/**
 * Encodes any rejection: a Flotilla error keeps its code, message and fields; anything else is a
 * failed command (`COMMAND_FAILED` with the original name and message). No stack, no cause.
 */
export function errorToWire(error: unknown): WireError {
  if (isFlotillaError(error)) {
    const fields = error as unknown as Record<string, unknown>;
    const wire: Record<string, unknown> = { code: error.code, message: error.message };
    for (const key of FIELDS) {
      const value = fields[key];
      if (typeof value === "string" || typeof value === "number") wire[key] = value;
    }
    return wire as unknown as WireError;
  }
  const name = error instanceof Error ? error.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  return { code: "COMMAND_FAILED", message, errorName: name };
}

/**
 * Rebuilds the typed error a node sent, with its fields and the sender's message. An unknown
 * code becomes a `BadRequestError` naming it.
 */
export function errorFromWire(wire: WireError): Error {
  const error = rebuild(wire);
  if (KNOWN_CODES.has(wire.code)) error.message = wire.message;
  return error;
}

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

function rebuild(wire: WireError): Error {
  const groupId = wire.groupId ?? "?";
  switch (wire.code) {
    case "NOT_LEADER":
      return new NotLeaderError(groupId, wire.leaderHint);
    case "PROPOSAL_TIMEOUT":
      return new ProposalTimeoutError(groupId, wire.timeoutMs ?? 0);
    case "PROPOSAL_DROPPED":
      return new ProposalDroppedError(groupId, wire.index ?? 0, wire.term ?? 0);
    case "PROPOSAL_OUTCOME_UNKNOWN":
      return new ProposalOutcomeUnknownError(groupId, wire.index ?? 0, wire.term ?? 0);
    case "OVERLOADED":
      return new OverloadedError(wire.groupId, wire.bound ?? "unknown bound");
    case "TOO_LARGE":
      return new TooLargeError(wire.sizeBytes ?? 0, wire.sizeBytesMax ?? 0);
    case "GROUP_NOT_FOUND":
      return new GroupNotFoundError(groupId);
    case "SUBSCRIBER_LAG":
      return new SubscriberLagError(groupId, wire.lastIndex ?? 0);
    case "STOPPED":
      return new StoppedError(wire.nodeId ?? "?");
    case "INVALID_ID":
      return new InvalidIdError(wire.kind ?? "id", wire.value);
    case "COMMAND_FAILED":
      return new CommandFailedError(wire.errorName ?? "Error", wire.message);
    case "BAD_REQUEST":
      return new BadRequestError(wire.message);
    case "MEMBERSHIP_CHANGE_REFUSED":
      return new MembershipChangeRefusedError(
        groupId,
        wire.reason === "change-pending" ? "change-pending" : "invalid-change",
        undefined,
      );
    default:
      return new BadRequestError(`unknown error code ${wire.code}: ${wire.message}`);
  }
}
