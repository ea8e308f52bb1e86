/**
 * The messages replicas exchange, named as in the Raft paper and dissertation, as one union on
 * `type`. Every message carries the sender's term; `from` and `to` are node ids. A message is
 * plain data (no classes), so any codec can carry it.
 */
import type { Entry } from "./entry.js";
import type { NodeId } from "./ids.js";
import type { Snapshot } from "./snapshot.js";

interface MessageBase {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

/** A candidate's (or pre-candidate's) request for a vote (Raft §5.2, dissertation §9.6). */
export interface RequestVote extends MessageBase {
  readonly type: "RequestVote";
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  /** A PreVote: `term` is the term the sender would campaign in; nobody's term changes. */
  readonly preVote: boolean;
  /** Sent on TimeoutNow during leadership transfer: overrides the leader lease (§3.10). */
  readonly leadershipTransfer: boolean;
}

/** The answer to a {@link RequestVote}. */
export interface RequestVoteResult extends MessageBase {
  readonly type: "RequestVoteResult";
  readonly granted: boolean;
  readonly preVote: boolean;
  /**
   * The voter's commit index and the term of its entry there. A candidate holding the same entry
   * holds the same (committed) prefix by Log Matching, so it may commit through it: this lets the
   * members of a joint configuration learn that it was left even when the leader that committed
   * leave-joint is gone and the only node that knows is a removed one that cannot campaign.
   */
  readonly commitIndex: number;
  readonly commitTerm: number;
}

/** Log replication (Raft §5.3). */
export interface AppendEntries extends MessageBase {
  readonly type: "AppendEntries";
  readonly prevLogIndex: number;
  readonly prevLogTerm: number;
  readonly entries: readonly Entry[];
  readonly leaderCommit: number;
}

/** The answer to an {@link AppendEntries}. */
export interface AppendEntriesResult extends MessageBase {
  readonly type: "AppendEntriesResult";
  readonly success: boolean;
  /**
   * On success: the index up to which the follower's log now matches the leader's. On failure:
   * the `prevLogIndex` that was rejected.
   */
  readonly index: number;
  /**
   * On failure, a hint for fast backtracking (dissertation §5.3 "optimization"): the follower's
   * last index at or below the rejected one whose term is at most `hintTerm`.
   */
  readonly hintIndex: number;
  readonly hintTerm: number;
}

/**
 * A leader's heartbeat. Separate from AppendEntries so it never queues behind bulk data, and so
 * it can carry a ReadIndex context. `commitIndex` is capped at what the follower is known to hold.
 */
export interface Heartbeat extends MessageBase {
  readonly type: "Heartbeat";
  readonly commitIndex: number;
  /** The ReadIndex context this heartbeat confirms leadership for, if any. */
  readonly context: Uint8Array | undefined;
  /**
   * Set when the leader is quiescing the group ({@link Raft.quiesce}): the follower may stop
   * ticking until the next message. It is not answered, so that the answer does not wake the
   * leader it puts to sleep.
   */
  readonly quiesce?: true;
}

/** The answer to a {@link Heartbeat}. */
export interface HeartbeatResult extends MessageBase {
  readonly type: "HeartbeatResult";
  readonly context: Uint8Array | undefined;
}

/** Sends a snapshot to a follower that is behind the leader's compacted log (Raft §7). */
export interface InstallSnapshot extends MessageBase {
  readonly type: "InstallSnapshot";
  readonly snapshot: Snapshot;
}

/** Tells the transfer target to campaign now, skipping its election timeout (§3.10). */
export interface TimeoutNow extends MessageBase {
  readonly type: "TimeoutNow";
}

/** A follower forwards client proposals to the leader (dissertation §6.2). */
export interface ForwardedProposal extends MessageBase {
  readonly type: "ForwardedProposal";
  readonly data: readonly Uint8Array[];
}

/** A follower asks the leader for a read index on behalf of a local reader (§6.4). */
export interface ReadIndexRequest extends MessageBase {
  readonly type: "ReadIndexRequest";
  readonly context: Uint8Array;
}

/** The leader's answer to a {@link ReadIndexRequest}, sent once leadership is confirmed. */
export interface ReadIndexResponse extends MessageBase {
  readonly type: "ReadIndexResponse";
  readonly context: Uint8Array;
  readonly index: number;
}

/** Every message a replica sends to another replica of its group. */
export type Message =
  | RequestVote
  | RequestVoteResult
  | AppendEntries
  | AppendEntriesResult
  | Heartbeat
  | HeartbeatResult
  | InstallSnapshot
  | TimeoutNow
  | ForwardedProposal
  | ReadIndexRequest
  | ReadIndexResponse;

/** The `type` tag of a {@link Message}. */
export type MessageType = Message["type"];

/** All message types, for exhaustive decoding and validation. */
export const MESSAGE_TYPES: readonly MessageType[] = [
  "RequestVote",
  "RequestVoteResult",
  "AppendEntries",
  "AppendEntriesResult",
  "Heartbeat",
  "HeartbeatResult",
  "InstallSnapshot",
  "TimeoutNow",
  "ForwardedProposal",
  "ReadIndexRequest",
  "ReadIndexResponse",
];

/**
 * Messages that must never wait behind bulk data (REFERENCE.md: heartbeats stuck behind appends
 * cause election storms). A transport sends these on a priority lane.
 */
export function isPriorityMessage(message: Message): boolean {
  switch (message.type) {
    case "RequestVote":
    case "RequestVoteResult":
    case "Heartbeat":
    case "HeartbeatResult":
    case "TimeoutNow":
    case "ReadIndexRequest":
    case "ReadIndexResponse":
      return true;
    case "AppendEntries":
    case "AppendEntriesResult":
    case "InstallSnapshot":
    case "ForwardedProposal":
      return false;
  }
}
