/**
 * The convergence check: every current member of a group (voters and learners; removed members
 * excluded) reports the same state digest at the same applied index once the cluster is quiet.
 */

/** One replica's state as its node reported it. */
export interface ReplicaDigest {
  readonly groupId: string;
  readonly nodeId: string;
  readonly appliedIndex: number;
  readonly digest: string;
}

/** The verdict of the convergence check. */
export interface ConvergenceResult {
  /** Groups whose members differ (in digest, or never reached the same applied index). */
  readonly diverged: number;
  readonly problems: readonly string[];
  readonly replicas: number;
}

/**
 * Compares the replicas of each group. `missing` lists members that did not answer (counted as
 * diverged: their state is unknown).
 */
export function checkConvergence(
  replicas: readonly ReplicaDigest[],
  missing: readonly { groupId: string; nodeId: string; reason: string }[] = [],
): ConvergenceResult {
  const problems: string[] = [];
  const badGroups = new Set<string>();
  const byGroup = new Map<string, ReplicaDigest[]>();
  for (const replica of replicas) {
    byGroup.set(replica.groupId, [...(byGroup.get(replica.groupId) ?? []), replica]);
  }
  for (const [groupId, members] of byGroup) {
    const indexes = new Set(members.map((member) => member.appliedIndex));
    const digests = new Set(members.map((member) => member.digest));
    if (indexes.size > 1 || digests.size > 1) {
      badGroups.add(groupId);
      problems.push(
        `${groupId}: ` +
          members.map((m) => `${m.nodeId}@${m.appliedIndex}=${m.digest.slice(0, 12)}`).join(" "),
      );
    }
  }
  for (const { groupId, nodeId, reason } of missing) {
    badGroups.add(groupId);
    problems.push(`${groupId}: ${nodeId} did not report its state (${reason})`);
  }
  return { diverged: badGroups.size, problems, replicas: replicas.length };
}
