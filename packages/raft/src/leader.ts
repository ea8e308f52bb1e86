/**
 * The leader's rules beyond replication itself: taking office (a no-op entry to commit its term),
 * accepting proposals under backpressure, CheckQuorum and its lease, heartbeats, ReadIndex, and
 * leadership transfer (dissertation §3.10, §6.2, §6.4).
 */
import { entriesSizeBytes, type Entry } from "./entry.js";
import type { NodeId } from "./ids.js";
import { isVoter, type MembershipChange } from "./membership.js";
import type { Message } from "./message.js";
import { Rejection, type CommandOutcome, type ProposeOutcome } from "./outcome.js";
import { jointVote } from "./quorum.js";
import { DEFERRED_READS_MAX, type LeaderRole, type RaftState } from "./raft-state.js";
import {
  broadcastAppend,
  broadcastHeartbeat,
  commitAndBroadcast,
  handleAppendEntriesResult,
  heardWithin,
  sendAppend,
} from "./replication.js";
import { ProgressState } from "./progress.js";

/** An entry before the leader gives it an index and term. */
export type NewEntry =
  | { readonly type: "normal"; readonly data: Uint8Array }
  | { readonly type: "noop" }
  | { readonly type: "config"; readonly change: MembershipChange };

/** Becomes leader and appends the no-op that lets it commit entries of its term (Raft §8). */
export function becomeLeaderAndAnnounce(r: RaftState): void {
  r.becomeLeader();
  const leader = r.role as LeaderRole;
  appendEntries(r, leader, [{ type: "noop" }]);
  broadcastAppend(r, leader);
}

/** Appends entries to the leader's log at the next indexes, in its term. Returns the last. */
export function appendEntries(
  r: RaftState,
  leader: LeaderRole,
  newEntries: readonly NewEntry[],
): Entry {
  let index = r.log.lastIndex();
  const entries: Entry[] = newEntries.map((e) => ({ ...e, index: ++index, term: r.term }));
  r.log.append(entries);
  leader.uncommittedBytes += entriesSizeBytes(entries);
  // The leader's own match moves when the host reports the entries persisted (advance).
  const last = entries[entries.length - 1];
  if (last === undefined) throw new RangeError("appendEntries needs at least one entry");
  return last;
}

/** Why a leader cannot take a proposal of `bytes` now, if it cannot. */
export function proposalRefusal(
  r: RaftState,
  leader: LeaderRole,
  bytes: number,
): ProposeOutcome | undefined {
  if (leader.leadTransferee !== undefined) {
    return {
      type: "rejected",
      reason: Rejection.LeadershipTransfer,
      leaderHint: leader.leadTransferee,
    };
  }
  // Backpressure is a typed rejection, never a step-down (REFERENCE.md).
  if (
    leader.uncommittedBytes > 0 &&
    leader.uncommittedBytes + bytes > r.config.uncommittedBytesMax
  ) {
    return { type: "rejected", reason: Rejection.Overloaded, leaderHint: r.id };
  }
  return undefined;
}

/** Appends proposals and starts replicating them. */
export function leaderPropose(
  r: RaftState,
  leader: LeaderRole,
  entries: readonly NewEntry[],
): ProposeOutcome {
  const last = appendEntries(r, leader, entries);
  broadcastAppend(r, leader);
  return { type: "accepted", index: last.index, term: last.term };
}

/** The leader's handling of messages at its own term. */
export function stepLeader(r: RaftState, leader: LeaderRole, m: Message): void {
  switch (m.type) {
    case "AppendEntriesResult":
      handleAppendEntriesResult(r, leader, m);
      return;
    case "HeartbeatResult":
      handleHeartbeatResult(r, leader, m.from, m.context);
      return;
    case "ForwardedProposal": {
      const size = m.data.reduce((n, d) => n + d.byteLength, 0);
      if (m.data.length === 0 || proposalRefusal(r, leader, size) !== undefined) return;
      leaderPropose(
        r,
        leader,
        m.data.map((data) => ({ type: "normal", data })),
      );
      return;
    }
    case "ReadIndexRequest":
      leaderReadIndex(r, leader, m.context, m.from);
      return;
    case "RequestVoteResult":
    case "RequestVote":
    case "AppendEntries":
    case "Heartbeat":
    case "InstallSnapshot":
    case "TimeoutNow":
    case "ReadIndexResponse":
      // Another leader in our own term is impossible; stale answers need nothing.
      return;
  }
}

function handleHeartbeatResult(
  r: RaftState,
  leader: LeaderRole,
  from: NodeId,
  context: Uint8Array | undefined,
): void {
  const progress = leader.progress.get(from);
  if (progress === undefined) return;
  progress.lastHeardTick = leader.ticks;
  progress.probeSent = false;
  // Appends may have been lost while the window was full: free a slot so replication resumes.
  if (progress.state === ProgressState.Replicate && progress.isPaused())
    progress.freeFirstInflight();
  if (progress.match < r.log.lastIndex()) sendAppend(r, leader, from, true);
  if (context === undefined) return;
  const acks = leader.reads.ack(context, from);
  if (acks === undefined) return;
  if (jointVote(r.membership.voters, r.membership.votersOutgoing, acks) !== "won") return;
  for (const read of leader.reads.releaseThrough(context)) {
    answerRead(r, read.requester, read.context, read.index);
  }
}

function answerRead(r: RaftState, requester: NodeId, context: Uint8Array, index: number): void {
  if (requester === r.id) {
    r.readStates.push({ index, context });
  } else {
    r.send({ type: "ReadIndexResponse", from: r.id, to: requester, term: r.term, context, index });
  }
}

/** Whether the leader has committed an entry of its own term, so its commit index is current. */
export function committedInOwnTerm(r: RaftState): boolean {
  return r.log.term(r.log.committed) === r.term;
}

/**
 * ReadIndex on the leader (dissertation §6.4): record the commit index, then confirm leadership
 * with a heartbeat round (or the lease). Before the first commit in its term, the read waits.
 */
export function leaderReadIndex(
  r: RaftState,
  leader: LeaderRole,
  context: Uint8Array,
  requester: NodeId,
): CommandOutcome {
  if (!committedInOwnTerm(r)) {
    if (leader.deferredReads.length >= DEFERRED_READS_MAX) {
      return { type: "rejected", reason: Rejection.Overloaded, leaderHint: r.id };
    }
    leader.deferredReads.push({ context, requester });
    return { type: "pending" };
  }
  const index = r.log.committed;
  const soleVoter = r.membership.voters.length === 1 && r.membership.votersOutgoing.length === 0;
  // The lease holds while a quorum was heard within an election timeout less a heartbeat of
  // margin for message delay; when in doubt, confirm with a heartbeat round like a safe read.
  const leaseHolds =
    r.config.readMode === "lease" &&
    quorumHeardWithin(r, leader, r.config.electionTicks - r.config.heartbeatTicks);
  if (soleVoter || leaseHolds) {
    answerRead(r, requester, context, index);
    return { type: "pending" };
  }
  if (leader.reads.add(context, index, requester)) {
    leader.reads.ack(context, r.id);
    broadcastHeartbeat(r, leader, context);
  }
  return { type: "pending" };
}

/** Serves the reads that waited for the leader's first commit in its term. */
export function releaseDeferredReads(r: RaftState, leader: LeaderRole): void {
  if (leader.deferredReads.length === 0 || !committedInOwnTerm(r)) return;
  const deferred = leader.deferredReads.splice(0);
  for (const read of deferred) leaderReadIndex(r, leader, read.context, read.requester);
}

/** The leader's clock: heartbeats, CheckQuorum, transfer timeout, snapshot retry. */
export function leaderTick(r: RaftState, leader: LeaderRole): void {
  leader.heartbeatElapsed++;
  leader.ticks++;
  r.electionElapsed++;
  if (r.config.checkQuorum && !quorumHeardWithin(r, leader, r.config.electionTicks)) {
    // No quorum heard for a whole election timeout: step down, so clients go elsewhere and
    // the lease followers grant never overlaps a new leader's term (dissertation §6.2).
    r.becomeFollower(r.term, undefined);
    return;
  }
  for (const progress of leader.progress.values()) {
    if (
      progress.state === ProgressState.Snapshot &&
      ++progress.snapshotElapsedTicks >= 2 * r.config.electionTicks
    ) {
      // The InstallSnapshot (or its answer) was lost: probe again, which re-sends it.
      progress.becomeProbe();
    }
  }
  if (r.electionElapsed >= r.config.electionTicks) {
    r.electionElapsed = 0;
    if (leader.leadTransferee !== undefined) leader.leadTransferee = undefined; // timed out
  }
  handOffIfRemoved(r, leader);
  if (leader.heartbeatElapsed >= r.config.heartbeatTicks) {
    leader.heartbeatElapsed = 0;
    broadcastHeartbeat(r, leader, leader.reads.lastContext());
  }
}

/** Whether a quorum (this leader included) was heard from within the last `ticks` ticks. */
function quorumHeardWithin(r: RaftState, leader: LeaderRole, ticks: number): boolean {
  const heard = new Map<NodeId, boolean>();
  for (const [id, progress] of leader.progress) {
    if (id === r.id || heardWithin(leader, progress, ticks)) heard.set(id, true);
  }
  return jointVote(r.membership.voters, r.membership.votersOutgoing, heard) === "won";
}

/** Starts handing leadership to `to` (dissertation §3.10). */
export function leaderTransfer(r: RaftState, leader: LeaderRole, to: NodeId): CommandOutcome {
  if (to === r.id) {
    return {
      type: "rejected",
      reason: Rejection.InvalidTarget,
      leaderHint: r.id,
      detail: "already the leader",
    };
  }
  if (!isVoter(r.membership, to)) {
    return {
      type: "rejected",
      reason: Rejection.InvalidTarget,
      leaderHint: r.id,
      detail: `${to} is not a voter`,
    };
  }
  if (leader.leadTransferee === to) return { type: "pending" };
  leader.leadTransferee = to;
  // The transfer must finish within one election timeout, or it is abandoned (tick).
  r.electionElapsed = 0;
  const progress = leader.progress.get(to);
  if (progress !== undefined && progress.match === r.log.lastIndex()) {
    r.send({ type: "TimeoutNow", from: r.id, to, term: r.term });
  } else {
    sendAppend(r, leader, to, true);
  }
  return { type: "pending" };
}

/**
 * A leader that is no longer a voter hands leadership to the remaining voter with the longest
 * matched log, retrying after each abandoned attempt until a new leader's term deposes it.
 */
export function handOffIfRemoved(r: RaftState, leader: LeaderRole): void {
  if (isVoter(r.membership, r.id) || leader.leadTransferee !== undefined) return;
  let best: NodeId | undefined;
  let bestMatch = -1;
  for (const voter of [...r.membership.voters].sort()) {
    const match = leader.progress.get(voter)?.match ?? -1;
    if (match > bestMatch) {
      best = voter;
      bestMatch = match;
    }
  }
  if (best !== undefined) leaderTransfer(r, leader, best);
}

/** Re-evaluates commit after the membership changed, so the new quorum rule applies at once. */
export function afterMembershipChange(r: RaftState, leader: LeaderRole): void {
  commitAndBroadcast(r, leader);
  if (leader.leadTransferee !== undefined && !isVoter(r.membership, leader.leadTransferee)) {
    leader.leadTransferee = undefined;
  }
}
