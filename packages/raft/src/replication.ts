/**
 * The leader's side of log replication (Raft §5.3) with flow control: appends are pipelined to
 * followers in Replicate state up to a window, probed one at a time otherwise, replaced by a
 * snapshot when the follower is behind the compaction point (§7), and entries commit by counting
 * only in the leader's own term (§5.4.2).
 */
import type { NodeId } from "./ids.js";
import type { AppendEntriesResult } from "./message.js";
import { jointCommitted } from "./quorum.js";
import { ProgressState, type Progress } from "./progress.js";
import type { LeaderRole, RaftState } from "./raft-state.js";

/**
 * Sends `to` the entries it needs (or a snapshot), unless its progress is paused. With
 * `sendIfEmpty`, sends an empty append (a probe that also carries the commit index).
 * Returns whether a message was sent.
 */
export function sendAppend(
  r: RaftState,
  leader: LeaderRole,
  to: NodeId,
  sendIfEmpty: boolean,
): boolean {
  const progress = leader.progress.get(to);
  if (progress === undefined || to === r.id || progress.isPaused()) return false;
  const prevLogIndex = progress.next - 1;
  const prevLogTerm = r.log.term(prevLogIndex);
  if (prevLogTerm === undefined || progress.next < r.log.firstIndex()) {
    return sendSnapshot(r, leader, to, progress);
  }
  const lastIndex = r.log.lastIndex();
  // A probe carries one batch; a replicating follower gets a full batch per message.
  const entries =
    progress.next <= lastIndex
      ? r.log.slice(progress.next, lastIndex + 1, r.config.batchBytesMax)
      : [];
  if (entries.length === 0 && !sendIfEmpty && !progress.canBumpCommit(r.log.committed))
    return false;
  r.send({
    type: "AppendEntries",
    from: r.id,
    to,
    term: r.term,
    prevLogIndex,
    prevLogTerm,
    entries,
    leaderCommit: r.log.committed,
  });
  progress.sentEntries(entries.length, prevLogIndex + entries.length);
  progress.sentCommit = Math.max(progress.sentCommit, r.log.committed);
  return true;
}

/** Whether the leader heard from `progress`'s follower within the last `ticks` ticks. */
export function heardWithin(leader: LeaderRole, progress: Progress, ticks: number): boolean {
  return leader.ticks - progress.lastHeardTick < ticks;
}

function sendSnapshot(r: RaftState, leader: LeaderRole, to: NodeId, progress: Progress): boolean {
  // Only to a follower we have heard from lately: a dead one would waste a large transfer.
  if (!heardWithin(leader, progress, r.config.electionTicks)) return false;
  const snapshot = r.log.storage.snapshot();
  r.send({ type: "InstallSnapshot", from: r.id, to, term: r.term, snapshot });
  progress.becomeSnapshot(snapshot.metadata.index);
  return true;
}

/** Sends every follower whatever it is missing. */
export function broadcastAppend(r: RaftState, leader: LeaderRole): void {
  for (const id of leader.progress.keys()) {
    if (id !== r.id) sendAppend(r, leader, id, true);
  }
}

/** Sends every follower a heartbeat, carrying `context` for a ReadIndex round if given. */
export function broadcastHeartbeat(
  r: RaftState,
  leader: LeaderRole,
  context: Uint8Array | undefined,
): void {
  for (const [id, progress] of leader.progress) {
    if (id === r.id) continue;
    // Never tell a follower to commit past what it is known to hold.
    const commitIndex = Math.min(progress.match, r.log.committed);
    r.send({ type: "Heartbeat", from: r.id, to: id, term: r.term, commitIndex, context });
    progress.sentCommit = Math.max(progress.sentCommit, commitIndex);
  }
}

/**
 * Advances the commit index to what a quorum (both halves when joint) has matched, but only if
 * that entry is of the current term: older entries commit only indirectly (Raft §5.4.2,
 * Figure 8). Returns whether it moved.
 */
export function maybeCommit(r: RaftState, leader: LeaderRole): boolean {
  const matchOf = (id: NodeId): number => leader.progress.get(id)?.match ?? 0;
  const quorumIndex = jointCommitted(r.membership.voters, r.membership.votersOutgoing, matchOf);
  if (!Number.isFinite(quorumIndex) || quorumIndex <= r.log.committed) return false;
  if (r.log.term(quorumIndex) !== r.term) return false;
  r.log.commitTo(quorumIndex);
  return true;
}

/** Commits what a quorum holds and, if that moved the commit index, tells the followers. */
export function commitAndBroadcast(r: RaftState, leader: LeaderRole): void {
  if (maybeCommit(r, leader)) broadcastAppend(r, leader);
}

/** The leader's handling of a follower's AppendEntriesResult. */
export function handleAppendEntriesResult(
  r: RaftState,
  leader: LeaderRole,
  m: AppendEntriesResult,
): void {
  const progress = leader.progress.get(m.from);
  if (progress === undefined) return;
  progress.lastHeardTick = leader.ticks;
  if (!m.success) {
    // Fast backtracking: jump to the follower's hint, refined by our own log's terms.
    const hint =
      m.hintTerm > 0 ? r.log.findConflictByTerm(m.hintIndex, m.hintTerm).index : m.hintIndex;
    if (progress.maybeDecreaseTo(m.index, hint)) {
      if (progress.state === ProgressState.Replicate) progress.becomeProbe();
      sendAppend(r, leader, m.from, true);
    }
    return;
  }
  const wasPaused = progress.isPaused();
  if (!progress.maybeUpdate(m.index)) {
    if (wasPaused && !progress.isPaused()) sendAppend(r, leader, m.from, false);
    return;
  }
  if (progress.state === ProgressState.Probe) {
    progress.becomeReplicate();
  } else if (
    progress.state === ProgressState.Snapshot &&
    progress.match + 1 >= r.log.firstIndex()
  ) {
    progress.becomeProbe();
    progress.becomeReplicate();
  }
  if (maybeCommit(r, leader)) {
    // Followers learn the new commit index with the next append.
    broadcastAppend(r, leader);
  } else {
    // Keep the pipeline full.
    while (sendAppend(r, leader, m.from, false)) {
      /* one batch per iteration, bounded by the in-flight window */
    }
  }
  if (m.from === leader.leadTransferee && progress.match === r.log.lastIndex()) {
    r.send({ type: "TimeoutNow", from: r.id, to: m.from, term: r.term });
  }
}
