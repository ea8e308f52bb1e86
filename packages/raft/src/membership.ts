/**
 * Group membership and its changes by joint consensus (Raft §6, dissertation §4.3). A change
 * that alters the voter set always passes through a joint configuration (old and new voter sets
 * must both agree); a change that only touches learners applies in one step. A configuration
 * change takes effect when its entry is applied (as in etcd-io/raft), and the leader allows at
 * most one unapplied configuration entry at a time.
 */
import type { NodeId } from "./ids.js";

/** The members of one group. */
export interface Membership {
  /** The voters (in a joint configuration: the incoming voters). Never empty once bootstrapped. */
  readonly voters: readonly NodeId[];
  /** Non-empty only in a joint configuration: the outgoing voters, who must also agree. */
  readonly votersOutgoing: readonly NodeId[];
  /** Non-voting members: they receive the log but neither vote nor count toward commit. */
  readonly learners: readonly NodeId[];
  /** Outgoing voters demoted to learners: they become learners when the joint config is left. */
  readonly learnersNext: readonly NodeId[];
}

/** One member's change. */
export interface NodeChange {
  readonly type: "add-voter" | "add-learner" | "remove";
  readonly nodeId: NodeId;
}

/** What a configuration entry does. */
export type MembershipChange =
  /** Learner-only changes: the voter set is unchanged, so no joint phase is needed. */
  | { readonly kind: "simple"; readonly changes: readonly NodeChange[] }
  /** Enter the joint configuration C(old,new). */
  | { readonly kind: "enter-joint"; readonly changes: readonly NodeChange[] }
  /** Leave the joint configuration for C(new); the leader proposes it once enter-joint applied. */
  | { readonly kind: "leave-joint" };

/** A membership of voters only. */
export function membershipOf(
  voters: readonly NodeId[],
  learners: readonly NodeId[] = [],
): Membership {
  return { voters: [...voters], votersOutgoing: [], learners: [...learners], learnersNext: [] };
}

/** True while the group is in a joint configuration. */
export function isJoint(membership: Membership): boolean {
  return membership.votersOutgoing.length > 0;
}

/** Every node that is a voter (incoming or outgoing) in `membership`. */
export function allVoters(membership: Membership): NodeId[] {
  return [...new Set([...membership.voters, ...membership.votersOutgoing])];
}

/** Every node that receives the log: voters, outgoing voters, learners and learners-to-be. */
export function allMembers(membership: Membership): NodeId[] {
  return [
    ...new Set([
      ...membership.voters,
      ...membership.votersOutgoing,
      ...membership.learners,
      ...membership.learnersNext,
    ]),
  ];
}

/** True when `id` may vote in `membership`. Learners never vote. */
export function isVoter(membership: Membership, id: NodeId): boolean {
  return membership.voters.includes(id) || membership.votersOutgoing.includes(id);
}

/**
 * Chooses how a list of node changes is carried out: "simple" when the voter set does not
 * change, "enter-joint" otherwise. Returns an error string for an impossible request.
 */
export function planChange(
  membership: Membership,
  changes: readonly NodeChange[],
): MembershipChange | string {
  if (changes.length === 0) return "a membership change needs at least one node change";
  const next = applyNodeChanges(membership.voters, membership.learners, changes);
  if (typeof next === "string") return next;
  const sameVoters =
    next.voters.length === membership.voters.length &&
    next.voters.every((id) => membership.voters.includes(id));
  return { kind: sameVoters ? "simple" : "enter-joint", changes: [...changes] };
}

/**
 * The membership that results from applying `change` to `membership`, or an error string when
 * the change is not valid from here (entering a joint config twice, leaving one not entered,
 * removing every voter).
 */
export function applyMembershipChange(
  membership: Membership,
  change: MembershipChange,
): Membership | string {
  switch (change.kind) {
    case "leave-joint": {
      if (!isJoint(membership)) return "cannot leave a joint configuration: not in one";
      const learners = [...new Set([...membership.learners, ...membership.learnersNext])].filter(
        (id) => !membership.voters.includes(id),
      );
      return { voters: [...membership.voters], votersOutgoing: [], learners, learnersNext: [] };
    }
    case "simple": {
      if (isJoint(membership)) return "cannot change learners during a joint configuration";
      const next = applyNodeChanges(membership.voters, membership.learners, change.changes);
      if (typeof next === "string") return next;
      const changedVoters =
        next.voters.length !== membership.voters.length ||
        next.voters.some((id) => !membership.voters.includes(id));
      if (changedVoters) return "a simple change cannot alter the voter set";
      return { ...membership, learners: next.learners };
    }
    case "enter-joint": {
      if (isJoint(membership)) return "already in a joint configuration";
      const next = applyNodeChanges(membership.voters, membership.learners, change.changes);
      if (typeof next === "string") return next;
      // A voter being demoted stays a voter of the outgoing half until the joint config is
      // left, so it cannot be a learner at the same time (dissertation §4.3; etcd's LearnersNext).
      const learnersNext = next.learners.filter((id) => membership.voters.includes(id));
      const learners = next.learners.filter((id) => !membership.voters.includes(id));
      return {
        voters: next.voters,
        votersOutgoing: [...membership.voters],
        learners,
        learnersNext,
      };
    }
  }
}

function applyNodeChanges(
  votersBefore: readonly NodeId[],
  learnersBefore: readonly NodeId[],
  changes: readonly NodeChange[],
): { voters: NodeId[]; learners: NodeId[] } | string {
  const voters = new Set(votersBefore);
  const learners = new Set(learnersBefore);
  for (const change of changes) {
    switch (change.type) {
      case "add-voter":
        learners.delete(change.nodeId);
        voters.add(change.nodeId);
        break;
      case "add-learner":
        voters.delete(change.nodeId);
        learners.add(change.nodeId);
        break;
      case "remove":
        if (!voters.has(change.nodeId) && !learners.has(change.nodeId)) {
          return `cannot remove ${change.nodeId}: not a member`;
        }
        voters.delete(change.nodeId);
        learners.delete(change.nodeId);
        break;
    }
  }
  if (voters.size === 0) return "a membership needs at least one voter";
  return { voters: [...voters].sort(), learners: [...learners].sort() };
}
