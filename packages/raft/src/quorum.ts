/**
 * Quorum arithmetic for simple majorities and joint configurations (Raft §6: in C(old,new) an
 * agreement needs separate majorities of both halves). An empty voter set is no constraint, so a
 * non-joint configuration is a joint one with an empty outgoing half.
 */
import type { NodeId } from "./ids.js";

/** The state of an election (or any quorum poll). */
export type VoteResult = "won" | "lost" | "pending";

/**
 * The highest index that a majority of `voters` has matched. An empty set answers +Infinity, so
 * `min` with it leaves the other half in charge.
 */
export function majorityCommitted(
  voters: readonly NodeId[],
  matchOf: (id: NodeId) => number,
): number {
  if (voters.length === 0) return Number.POSITIVE_INFINITY;
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  // With n voters, a quorum is floor(n/2)+1: the quorum-th largest match is held by a quorum.
  const quorumth = matches[Math.floor(voters.length / 2)];
  return quorumth ?? 0;
}

/** The committed index of a joint configuration: what both halves agree on. */
export function jointCommitted(
  incoming: readonly NodeId[],
  outgoing: readonly NodeId[],
  matchOf: (id: NodeId) => number,
): number {
  return Math.min(majorityCommitted(incoming, matchOf), majorityCommitted(outgoing, matchOf));
}

/** The outcome of a vote among `voters`, given the answers so far (true = granted). */
export function majorityVote(
  voters: readonly NodeId[],
  votes: ReadonlyMap<NodeId, boolean>,
): VoteResult {
  if (voters.length === 0) return "won";
  const quorum = Math.floor(voters.length / 2) + 1;
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  if (granted >= quorum) return "won";
  if (rejected > voters.length - quorum) return "lost";
  return "pending";
}

/** The outcome of a vote in a joint configuration: both halves must win. */
export function jointVote(
  incoming: readonly NodeId[],
  outgoing: readonly NodeId[],
  votes: ReadonlyMap<NodeId, boolean>,
): VoteResult {
  const a = majorityVote(incoming, votes);
  const b = majorityVote(outgoing, votes);
  if (a === "won" && b === "won") return "won";
  if (a === "lost" || b === "lost") return "lost";
  return "pending";
}
