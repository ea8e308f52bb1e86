/**
 * Elections (Raft §5.2, §5.4.1) with PreVote (dissertation §9.6): campaigning, granting votes,
 * and counting them. A vote is granted at most once per term, only to a candidate whose log is at
 * least as up-to-date, and PreVote applies the same log check so a stale node cannot disrupt.
 */
import type { NodeId } from "./ids.js";
import { allVoters } from "./membership.js";
import type { Message, RequestVote, RequestVoteResult } from "./message.js";
import { jointVote, type VoteResult } from "./quorum.js";
import type { CandidateRole, RaftState } from "./raft-state.js";
import { becomeLeaderAndAnnounce } from "./leader.js";

/** Why an election starts: timeout (with PreVote if configured), or a transfer's TimeoutNow. */
export type CampaignKind = "pre-vote" | "election" | "transfer";

/** Starts an election if this replica may. */
export function campaign(r: RaftState, kind: CampaignKind): void {
  if (!r.promotable()) return;
  if (kind === "pre-vote") r.becomePreCandidate();
  else r.becomeCandidate();
  const role = r.role as CandidateRole;
  const preVote = kind === "pre-vote";
  // A PreVote asks about the term we would move to, without moving to it.
  const term = preVote ? r.term + 1 : r.term;
  if (recordVote(r, role, r.id, true) === "won") {
    wonVote(r, kind);
    return;
  }
  for (const voter of allVoters(r.membership)) {
    if (voter === r.id) continue;
    r.send({
      type: "RequestVote",
      from: r.id,
      to: voter,
      term,
      lastLogIndex: r.log.lastIndex(),
      lastLogTerm: r.log.lastTerm(),
      preVote,
      leadershipTransfer: kind === "transfer",
    });
  }
}

function recordVote(r: RaftState, role: CandidateRole, from: NodeId, granted: boolean): VoteResult {
  if (!role.votes.has(from)) role.votes.set(from, granted);
  return jointVote(r.membership.voters, r.membership.votersOutgoing, role.votes);
}

function wonVote(r: RaftState, kind: CampaignKind): void {
  if (kind === "pre-vote") campaign(r, "election");
  else becomeLeaderAndAnnounce(r);
}

/**
 * A voter's answer to a RequestVote whose term is at least ours (term handling already done).
 * We may vote for `from` if we already did this term, or have not voted and know no leader, or
 * it is a PreVote for a later term; and only if its log is at least as up-to-date as ours.
 */
export function handleRequestVote(r: RaftState, m: RequestVote): void {
  const leaderId = r.leaderId();
  const canVote =
    r.vote === m.from ||
    (r.vote === undefined && leaderId === undefined) ||
    (m.preVote && m.term > r.term);
  const granted = canVote && r.log.isUpToDate(m.lastLogIndex, m.lastLogTerm);
  if (granted && !m.preVote) {
    // The vote is persisted (hard state) before this answer is sent (Ready order).
    r.vote = m.from;
    r.electionElapsed = 0;
  }
  const answer: RequestVoteResult = {
    type: "RequestVoteResult",
    from: r.id,
    to: m.from,
    // A granted PreVote answers with the candidate's prospective term; otherwise our own.
    term: granted && m.preVote ? m.term : r.term,
    granted,
    preVote: m.preVote,
    ...commitHint(r),
  };
  r.send(answer);
}

/** This replica's commit index and the term there, for a RequestVoteResult. */
export function commitHint(r: RaftState): { commitIndex: number; commitTerm: number } {
  return { commitIndex: r.log.committed, commitTerm: r.log.term(r.log.committed) ?? 0 };
}

/**
 * Commits through a voter's commit index when our log holds the same entry there: the prefixes
 * match (Log Matching) and the voter knows that prefix committed.
 */
export function learnCommitFromVoter(r: RaftState, m: RequestVoteResult): void {
  if (m.commitIndex <= r.log.committed || m.commitTerm === 0) return;
  if (r.log.matchTerm(m.commitIndex, m.commitTerm)) r.log.commitTo(m.commitIndex);
}

/** A (pre-)candidate's handling of the messages that reach it at its own term. */
export function stepCandidate(r: RaftState, role: CandidateRole, m: Message): void {
  switch (m.type) {
    case "AppendEntries":
    case "Heartbeat":
    case "InstallSnapshot":
      // Someone won this term: follow it (§5.2), then handle the message as a follower.
      r.becomeFollower(m.term, m.from);
      return;
    case "RequestVoteResult": {
      const expectPreVote = role.type === "pre-candidate";
      if (m.preVote !== expectPreVote) return;
      const result = recordVote(r, role, m.from, m.granted);
      if (result === "won") wonVote(r, expectPreVote ? "pre-vote" : "election");
      else if (result === "lost") r.becomeFollower(r.term, undefined);
      return;
    }
    case "RequestVote":
    case "AppendEntriesResult":
    case "HeartbeatResult":
    case "TimeoutNow":
    case "ForwardedProposal":
    case "ReadIndexRequest":
    case "ReadIndexResponse":
      return;
  }
}
