/**
 * The entry point for every message: the term rules every role shares (Raft §5.1: a higher term
 * makes us a follower; a lower one is stale), the leader lease that protects a live leader from
 * disruptive candidates (dissertation §4.2.3, §9.6), then the role's own rules.
 */
import type { Message } from "./message.js";
import type { RaftState } from "./raft-state.js";
import { commitHint, handleRequestVote, learnCommitFromVoter, stepCandidate } from "./election.js";
import { stepFollower } from "./follower.js";
import { stepLeader } from "./leader.js";

/** Feeds one message to the core. Messages not meant for this replica are ignored. */
export function step(r: RaftState, m: Message): void {
  if (m.to !== r.id || m.from === r.id) return;
  // Whatever its term, a vote answer may teach us a commit index (see RequestVoteResult).
  if (m.type === "RequestVoteResult") learnCommitFromVoter(r, m);
  if (m.term > r.term) {
    if (!stepHigherTerm(r, m)) return;
  } else if (m.term < r.term) {
    stepLowerTerm(r, m);
    return;
  }
  if (m.type === "RequestVote") {
    handleRequestVote(r, m);
    return;
  }
  const role = r.role;
  switch (role.type) {
    case "leader":
      stepLeader(r, role, m);
      return;
    case "candidate":
    case "pre-candidate":
      stepCandidate(r, role, m);
      // A candidate that met the term's leader is now a follower and handles the message as one.
      if (r.role.type === "follower") stepFollower(r, r.role, m);
      return;
    case "follower":
      stepFollower(r, role, m);
      return;
  }
}

/** A message from a later term. Returns whether to go on processing it. */
function stepHigherTerm(r: RaftState, m: Message): boolean {
  if (m.type === "RequestVote") {
    // Leader lease: while we hear from a leader, ignore candidates that could not have heard
    // from it (they are partitioned or stale), unless the leader itself asked for the transfer.
    const inLease =
      r.config.checkQuorum &&
      r.leaderId() !== undefined &&
      r.electionElapsed < r.config.electionTicks;
    if (inLease && !m.leadershipTransfer) return false;
    // A PreVote never changes our term.
    if (m.preVote) return true;
    r.adoptCandidateTerm(m.term);
    return true;
  }
  if (m.type === "RequestVoteResult" && m.preVote && m.granted) {
    // A granted PreVote carries the term we would campaign in; we move to it by campaigning.
    return true;
  }
  const fromLeader =
    m.type === "AppendEntries" || m.type === "Heartbeat" || m.type === "InstallSnapshot";
  r.becomeFollower(m.term, fromLeader ? m.from : undefined);
  return true;
}

/** A message from an earlier term: answer where it helps the sender catch up, else drop it. */
function stepLowerTerm(r: RaftState, m: Message): void {
  if (
    (r.config.checkQuorum || r.config.preVote) &&
    (m.type === "AppendEntries" || m.type === "Heartbeat")
  ) {
    // A stale leader that never hears a higher term would keep its followers from electing
    // (with CheckQuorum or PreVote they ignore others): tell it our term so it steps down.
    r.send({
      type: "AppendEntriesResult",
      from: r.id,
      to: m.from,
      term: r.term,
      success: false,
      index: 0,
      hintIndex: 0,
      hintTerm: 0,
    });
  } else if (m.type === "RequestVote" && m.preVote) {
    // Without an answer the pre-candidate would keep asking; tell it our term.
    r.send({
      type: "RequestVoteResult",
      from: r.id,
      to: m.from,
      term: r.term,
      granted: false,
      preVote: true,
      ...commitHint(r),
    });
  }
}
