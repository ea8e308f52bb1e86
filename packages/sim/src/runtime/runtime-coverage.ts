/**
 * What a runtime-mode run exercised, so a simulator that quietly stops injecting faults into the
 * host is noticed: one `coverage:` line (the core mode's format, this mode's counters), summed
 * over all seeds; a test asserts every counter is non-zero over a handful of seeds.
 */

/** Counters of one seed, or summed over many. */
export interface RuntimeCoverage {
  /** Leaders elected (a new term with a leader, per group), from `node.leadership$`. */
  elections: number;
  /** Elections that moved leadership to another node than the group's previous leader. */
  leaderChanges: number;
  /** Host crashes (the FlotillaNode abandoned, its unsynced writes lost). */
  crashes: number;
  /** Unsynced storage transactions a crash threw away. */
  lostWrites: number;
  /** Partitions started (symmetric or one-way). */
  partitions: number;
  /** Snapshots a replica received from its leader and restored. */
  snapshotsInstalled: number;
  /** Linearizable reads answered. */
  reads: number;
  /** Client writes answered with their result. */
  writes: number;
  /** Proposal attempts whose outcome was unknown (timeout, deposed leader, crash). */
  unknownOutcomes: number;
  /** Proposal attempts rejected as certainly not applied (not leader, overloaded, dropped). */
  notApplied: number;
  /** Events checked on `committed$` subscriptions (entries and snapshots). */
  streamEvents: number;
  /** Leader-only works started (`node.leaderOnly`). */
  leaderWorks: number;
  /** Leadership transfers (`node.transferLeadership`) that made their target leader. */
  transfers: number;
  /** Hosts that fail-stopped on an injected disk error (and were restarted later). */
  diskFailures: number;
  /** Steps that ended with a replica asleep (quiescence), summed over replicas. */
  quiescedReplicaSteps: number;
  /** Catch-up pages (`node.readCommitted`) read and checked. */
  catchUpPages: number;
  /**
   * Catch-up pages read while that replica had applied past what its storage returned (its own
   * write of applied entries in flight: the race of issue 12's defect 2).
   */
  catchUpAheadOfStorage: number;
  /**
   * Restarts on a disk whose log lost its tail below the applied index, refused as they must be
   * (`StorageInconsistencyError`, the host fail-stops and is restarted later on a sound disk).
   */
  lostTailRefusals: number;
}

/** All counters at zero. */
export function emptyRuntimeCoverage(): RuntimeCoverage {
  return {
    elections: 0,
    leaderChanges: 0,
    crashes: 0,
    lostWrites: 0,
    partitions: 0,
    snapshotsInstalled: 0,
    reads: 0,
    writes: 0,
    unknownOutcomes: 0,
    notApplied: 0,
    streamEvents: 0,
    leaderWorks: 0,
    transfers: 0,
    diskFailures: 0,
    quiescedReplicaSteps: 0,
    catchUpPages: 0,
    catchUpAheadOfStorage: 0,
    lostTailRefusals: 0,
  };
}

/** Adds `other` into `into`. */
export function addRuntimeCoverage(into: RuntimeCoverage, other: RuntimeCoverage): void {
  for (const key of Object.keys(into) as (keyof RuntimeCoverage)[]) into[key] += other[key];
}

/** `coverage: elections=… leader-changes=… …`, in a fixed order. */
export function formatRuntimeCoverage(coverage: RuntimeCoverage): string {
  const fields = (Object.keys(coverage) as (keyof RuntimeCoverage)[]).map(
    (key) => `${kebab(key)}=${coverage[key]}`,
  );
  return `coverage: ${fields.join(" ")}`;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
