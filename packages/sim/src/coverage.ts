/**
 * What a run exercised, so a simulator that quietly stops injecting faults is noticed: the CLI
 * prints one `coverage:` line summed over all seeds, and a test asserts every counter is non-zero.
 */

/** Counters of one seed, or summed over many. */
export interface Coverage {
  /** Leaders elected (a new term with a leader, per group). */
  elections: number;
  /** Elections that moved leadership to a different node than the group's previous leader. */
  leaderChanges: number;
  /** Node crashes. */
  crashes: number;
  /** Partitions started (symmetric or one-way). */
  partitions: number;
  /** Snapshots a replica received from its leader and restored. */
  snapshotsInstalled: number;
  /** Configuration entries committed and applied (counted once per group and index). */
  membershipChanges: number;
  /** Leadership transfers that made their target leader. */
  transfers: number;
  /** Linearizable reads answered. */
  reads: number;
  /**
   * (Pre-)vote requests a follower did not grant its vote for, each checked to have left its
   * election timer alone (Raft's Figure 2 restarts it only on granting a vote).
   */
  voteTimersChecked: number;
  /** Snapshots that reached a follower holding their last index with another term (§7). */
  snapshotsOverConflicts: number;
}

/** All counters at zero. */
export function emptyCoverage(): Coverage {
  return {
    elections: 0,
    leaderChanges: 0,
    crashes: 0,
    partitions: 0,
    snapshotsInstalled: 0,
    membershipChanges: 0,
    transfers: 0,
    reads: 0,
    voteTimersChecked: 0,
    snapshotsOverConflicts: 0,
  };
}

/** Adds `other` into `into`. */
export function addCoverage(into: Coverage, other: Coverage): void {
  for (const key of Object.keys(into) as (keyof Coverage)[]) into[key] += other[key];
}

/** `coverage: elections=… leader-changes=… …`, in a fixed order. */
export function formatCoverage(coverage: Coverage): string {
  const fields: [string, number][] = [
    ["elections", coverage.elections],
    ["leader-changes", coverage.leaderChanges],
    ["crashes", coverage.crashes],
    ["partitions", coverage.partitions],
    ["snapshots-installed", coverage.snapshotsInstalled],
    ["membership-changes", coverage.membershipChanges],
    ["transfers", coverage.transfers],
    ["reads", coverage.reads],
    ["vote-timers-checked", coverage.voteTimersChecked],
    ["snapshots-over-conflicts", coverage.snapshotsOverConflicts],
  ];
  return `coverage: ${fields.map(([name, value]) => `${name}=${value}`).join(" ")}`;
}
