/**
 * Maps the core's refusal of a command (`ProposeOutcome` / `CommandOutcome` "rejected") to the
 * typed error a caller sees. Every mapped error means "certainly not applied".
 */
import { Rejection, type NodeId } from "@flotilla/raft";
import type { FlotillaError } from "./errors/flotilla-error.js";
import { NotLeaderError, OverloadedError } from "./errors/errors.js";

/** The core's rejection, as {@link proposeRejection} reads it. */
export interface CoreRejection {
  readonly reason: Rejection;
  readonly leaderHint: NodeId | undefined;
  readonly detail?: string;
}

/**
 * The typed error for a rejected proposal or read: no leader, not the leader and a leadership
 * transfer become `NotLeaderError` (with the hint), backpressure `OverloadedError`.
 */
export function proposeRejection(groupId: string, rejection: CoreRejection): FlotillaError {
  switch (rejection.reason) {
    case Rejection.Overloaded:
      return new OverloadedError(groupId, "uncommittedBytesMax");
    case Rejection.NoLeader:
      return new NotLeaderError(groupId, undefined);
    case Rejection.NotLeader:
    case Rejection.LeadershipTransfer:
    case Rejection.NotReady:
    case Rejection.ChangePending:
    case Rejection.InvalidChange:
    case Rejection.InvalidTarget:
      // The last four do not arise for proposals and reads; each means "not carried out here".
      return new NotLeaderError(groupId, rejection.leaderHint, {
        cause: new Error(rejection.detail ?? rejection.reason),
      });
  }
}
