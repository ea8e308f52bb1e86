/**
 * A follower's rules (Raft §5.3, §7): accept appends that match its log, take the leader's
 * commit index, install snapshots, campaign on TimeoutNow, and pass proposals and reads on to the
 * leader. Every message from the current leader restarts the election timer.
 */
import type { AppendEntries, InstallSnapshot, Message } from "./message.js";
import type { FollowerRole, RaftState } from "./raft-state.js";
import { campaign } from "./election.js";

/** A follower's handling of messages at its own term. */
export function stepFollower(r: RaftState, role: FollowerRole, m: Message): void {
  switch (m.type) {
    case "AppendEntries":
      hearFromLeader(r, role, m.from);
      handleAppendEntries(r, m);
      return;
    case "Heartbeat":
      hearFromLeader(r, role, m.from);
      // The leader capped the commit index at what we hold, so this never passes our log.
      r.log.commitTo(Math.min(m.commitIndex, r.log.lastIndex()));
      // A quiescing heartbeat goes unanswered: the answer would wake the leader (quiescence.ts).
      if (m.quiesce === true) return;
      r.send({ type: "HeartbeatResult", from: r.id, to: m.from, term: r.term, context: m.context });
      return;
    case "InstallSnapshot":
      hearFromLeader(r, role, m.from);
      handleInstallSnapshot(r, m);
      return;
    case "TimeoutNow":
      // The leader is handing over: campaign at once, skipping PreVote and the lease (§3.10).
      campaign(r, "transfer");
      return;
    case "ForwardedProposal":
      // A stale forwarder: pass it on once; the leader drops anything it cannot take.
      if (role.leaderId !== undefined && role.leaderId !== m.from) {
        r.send({ ...m, from: r.id, to: role.leaderId, term: r.term });
      }
      return;
    case "ReadIndexResponse":
      r.readStates.push({ index: m.index, context: m.context });
      return;
    case "RequestVote":
    case "RequestVoteResult":
    case "AppendEntriesResult":
    case "HeartbeatResult":
    case "ReadIndexRequest":
      return;
  }
}

function hearFromLeader(
  r: RaftState,
  role: FollowerRole,
  leaderId: FollowerRole["leaderId"],
): void {
  r.electionElapsed = 0;
  role.leaderId = leaderId;
}

function handleAppendEntries(r: RaftState, m: AppendEntries): void {
  const answer = { type: "AppendEntriesResult", from: r.id, to: m.from, term: r.term } as const;
  if (m.prevLogIndex < r.log.committed) {
    // Everything up to our commit index already matches the leader (it is committed).
    r.send({ ...answer, success: true, index: r.log.committed, hintIndex: 0, hintTerm: 0 });
    return;
  }
  // A conflicting suffix takes the acknowledgements of its entries with it (seed 7275).
  const lastNewIndex = r.log.maybeAppend(
    m.prevLogIndex,
    m.prevLogTerm,
    m.leaderCommit,
    m.entries,
    (fromIndex) => r.withdrawAcknowledgementsFrom(fromIndex),
  );
  if (lastNewIndex !== undefined) {
    r.send({ ...answer, success: true, index: lastNewIndex, hintIndex: 0, hintTerm: 0 });
    return;
  }
  // Reject with a hint: our last index at or below prevLogIndex whose term is at most the
  // leader's prevLogTerm, so the leader can skip a whole term of mismatches at once.
  const probeIndex = Math.min(m.prevLogIndex, r.log.lastIndex());
  const hint = r.log.findConflictByTerm(probeIndex, m.prevLogTerm);
  r.send({
    ...answer,
    success: false,
    index: m.prevLogIndex,
    hintIndex: hint.index,
    hintTerm: hint.term,
  });
}

function handleInstallSnapshot(r: RaftState, m: InstallSnapshot): void {
  const { index, term, membership } = m.snapshot.metadata;
  const answer = { type: "AppendEntriesResult", from: r.id, to: m.from, term: r.term } as const;
  if (index <= r.log.committed) {
    r.send({ ...answer, success: true, index: r.log.committed, hintIndex: 0, hintTerm: 0 });
    return;
  }
  if (r.log.matchTerm(index, term)) {
    // We already hold the snapshot's last entry: our log matches through it, so just commit.
    r.log.commitTo(index);
    r.send({ ...answer, success: true, index: r.log.committed, hintIndex: 0, hintTerm: 0 });
    return;
  }
  // The snapshot replaces the whole log: entries past its index are gone with it.
  r.withdrawAcknowledgementsFrom(index + 1);
  r.log.restore(m.snapshot);
  r.membership = membership;
  r.send({ ...answer, success: true, index: r.log.lastIndex(), hintIndex: 0, hintTerm: 0 });
}
