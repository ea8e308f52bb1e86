/**
 * What the core answers to a command it cannot carry out. The core never throws for an
 * operating condition and never drops a proposal silently: it returns one of these.
 */
import type { NodeId } from "./ids.js";

/** Why a proposal, membership change, read or transfer was refused. */
export const Rejection = {
  /** No leader is known (an election is under way). */
  NoLeader: "no-leader",
  /** This replica is not the leader and forwarding is off; see `leaderHint`. */
  NotLeader: "not-leader",
  /** The leader is handing over leadership; retry at the new leader. */
  LeadershipTransfer: "leadership-transfer",
  /** Too many uncommitted bytes; back off (REFERENCE.md: reject, do not step down). */
  Overloaded: "overloaded",
  /** A membership change is still pending (one at a time). */
  ChangePending: "change-pending",
  /** The membership change is not valid from the current membership. */
  InvalidChange: "invalid-change",
  /** The leader has not yet committed an entry in its term, so its commit index may be stale. */
  NotReady: "not-ready",
  /** The target of a leadership transfer is not a voter of this group. */
  InvalidTarget: "invalid-target",
} as const;
export type Rejection = (typeof Rejection)[keyof typeof Rejection];

/** The result of `propose` or `changeMembership`. */
export type ProposeOutcome =
  /** Appended to the leader's log at `index` in `term`; it commits there or not at all. */
  | { readonly type: "accepted"; readonly index: number; readonly term: number }
  /** Sent to the leader; it appears in the log or is lost, and the caller learns which by watching. */
  | { readonly type: "forwarded"; readonly to: NodeId }
  /** Certainly not appended. */
  | {
      readonly type: "rejected";
      readonly reason: Rejection;
      readonly leaderHint: NodeId | undefined;
      readonly detail?: string;
    };

/** The result of `readIndex`, `transferLeadership`. */
export type CommandOutcome =
  | { readonly type: "pending" }
  | {
      readonly type: "rejected";
      readonly reason: Rejection;
      readonly leaderHint: NodeId | undefined;
      readonly detail?: string;
    };
