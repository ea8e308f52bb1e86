/**
 * Quiescence: a group with nothing to do stops ticking, so thousands of idle groups cost no
 * timers and no heartbeats (CockroachDB's quiesced ranges; etcd-io/raft leaves it to the host).
 * The core decides when a leader may quiesce and tells its followers with one last heartbeat;
 * the host stops ticking the replicas, wakes them on any input, and watches node-level liveness
 * instead — forgetting a dead leader ({@link forgetLeader}) or stepping down a leader that lost
 * its quorum ({@link stepDownQuiesced}) as the election timer and CheckQuorum would have.
 */
import { allMembers, isJoint, isVoter } from "./membership.js";
import { ProgressState } from "./progress.js";
import { ReadMode } from "./raft-config.js";
import type { LeaderRole, RaftState } from "./raft-state.js";
import type { NodeId } from "./ids.js";

const NO_ONE: ReadonlySet<NodeId> = new Set();

/**
 * Whether the leader may quiesce: every member holds the whole log, all of it is committed and
 * applied, and nothing waits on the clock — no read, no transfer, no configuration change, no
 * snapshot or probe in progress. Under `readMode: "lease"` never: the lease is kept by heartbeats.
 */
export function quiescable(
  r: RaftState,
  leader: LeaderRole,
  unreachable: ReadonlySet<NodeId> = NO_ONE,
): boolean {
  if (r.config.readMode === ReadMode.Lease) return false;
  if (leader.leadTransferee !== undefined) return false;
  if (leader.reads.size > 0 || leader.deferredReads.length > 0) return false;
  if (isJoint(r.membership) || !isVoter(r.membership, r.id)) return false;
  const lastIndex = r.log.lastIndex();
  if (r.log.committed !== lastIndex || r.log.applied !== lastIndex) return false;
  if (leader.pendingConfigIndex > r.log.applied) return false;
  if (r.log.unstable.entries.length > 0 || r.log.unstable.snapshot !== undefined) return false;
  // Members the host knows are down need not hold the log (they catch up when they return and
  // wake the group), as long as the live voters still make a quorum.
  const liveVoters = r.membership.voters.filter((id) => !unreachable.has(id)).length;
  if (2 * liveVoters <= r.membership.voters.length) return false;
  for (const member of allMembers(r.membership)) {
    if (unreachable.has(member) && member !== r.id) continue;
    const progress = leader.progress.get(member);
    if (progress === undefined || progress.match !== lastIndex) return false;
    if (member !== r.id && progress.state !== ProgressState.Replicate) return false;
  }
  return true;
}

/**
 * Quiesces the group if {@link quiescable}: sends every follower a heartbeat marked `quiesce`
 * carrying the commit index (each holds the whole log, so it may commit all of it). Returns
 * whether it did; the host then stops ticking this replica until an input arrives.
 */
export function quiesce(
  r: RaftState,
  leader: LeaderRole,
  unreachable: ReadonlySet<NodeId> = NO_ONE,
): boolean {
  if (!quiescable(r, leader, unreachable)) return false;
  for (const [id, progress] of leader.progress) {
    if (id === r.id || unreachable.has(id)) continue;
    const commitIndex = r.log.committed;
    r.send({
      type: "Heartbeat",
      from: r.id,
      to: id,
      term: r.term,
      commitIndex,
      context: undefined,
      quiesce: true,
    });
    progress.sentCommit = Math.max(progress.sentCommit, commitIndex);
  }
  leader.heartbeatElapsed = 0;
  return true;
}

/**
 * A follower forgets its leader (etcd-io/raft's ForgetLeader): the host's failure detector says
 * the leader's node is dead. Without a leader it no longer refuses votes under the lease, and it
 * counts the lower bound of its election timeout as passed, so it campaigns within the random
 * part of the timeout instead of a whole one. It stays in its term; hearing from the leader
 * again makes it an ordinary follower.
 */
export function forgetLeader(r: RaftState, campaign: ForgetLeaderCampaign = "soon"): void {
  if (r.role.type !== "follower" || r.role.leaderId === undefined) return;
  r.role = { type: "follower", leaderId: undefined };
  r.electionElapsed = campaign === "soon" ? Math.max(r.electionElapsed, r.config.electionTicks) : 0;
}

/**
 * When a follower that forgot its leader campaigns: `"soon"`, within the random part of its
 * election timeout; `"later"`, after a whole timeout from now (the host has picked another
 * member to campaign first, and this one is the fallback).
 */
export type ForgetLeaderCampaign = "soon" | "later";

/**
 * A quiesced leader whose host no longer hears a quorum of its voters' nodes steps down, as
 * CheckQuorum would once ticking (dissertation §6.2): its clients go elsewhere and its
 * leader-only work stops within one election timeout of losing contact.
 */
export function stepDownQuiesced(r: RaftState): void {
  if (r.role.type !== "leader") return;
  r.becomeFollower(r.term, undefined);
}
