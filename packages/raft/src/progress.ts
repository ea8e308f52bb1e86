/**
 * A leader's view of one follower's replication (etcd-io/raft's Progress): how far it matches,
 * what to send next, and the flow-control state. Probe sends one AppendEntries at a time until
 * the follower's position is known; Replicate pipelines up to `inflightMessagesMax` appends;
 * Snapshot waits for an InstallSnapshot to land.
 */
import { assert } from "./assert.js";

/** Replication state of one follower. */
export const ProgressState = {
  Probe: "probe",
  Replicate: "replicate",
  Snapshot: "snapshot",
} as const;
export type ProgressState = (typeof ProgressState)[keyof typeof ProgressState];

/** One follower's replication progress, kept by the leader. */
export class Progress {
  /** Highest index known to be replicated on the follower. */
  match: number;
  /** Index of the next entry to send. */
  next: number;
  state: ProgressState = ProgressState.Probe;
  /** In Snapshot state: the index of the snapshot sent. */
  pendingSnapshotIndex = 0;
  /** Ticks since the snapshot was sent: a lost InstallSnapshot is retried after a timeout. */
  snapshotElapsedTicks = 0;
  /** The leader's tick count when it last heard from the follower (CheckQuorum, lease). */
  lastHeardTick = 0;
  /** The highest commit index sent to the follower (appends and heartbeats). */
  sentCommit = 0;
  /** In Probe state: an append is outstanding; wait for an answer or a heartbeat. */
  probeSent = false;
  /** Last index of each in-flight AppendEntries, oldest first (Replicate state). */
  private readonly inflight: number[] = [];
  private readonly inflightMax: number;

  constructor(match: number, next: number, inflightMax: number) {
    this.match = match;
    this.next = next;
    this.inflightMax = inflightMax;
  }

  /** Whether the leader should hold back appends to this follower. */
  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.probeSent;
      case ProgressState.Replicate:
        return this.inflight.length >= this.inflightMax;
      case ProgressState.Snapshot:
        return true;
    }
  }

  becomeProbe(): void {
    // After a snapshot, the follower has at least the snapshot (if it applied it).
    if (this.state === ProgressState.Snapshot) {
      this.next = Math.max(this.match + 1, this.pendingSnapshotIndex + 1);
    } else {
      this.next = this.match + 1;
    }
    this.reset(ProgressState.Probe);
  }

  becomeReplicate(): void {
    this.next = this.match + 1;
    this.reset(ProgressState.Replicate);
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.reset(ProgressState.Snapshot);
    this.pendingSnapshotIndex = snapshotIndex;
  }

  /** Records an AppendEntries sent with entries up to `lastIndex` (or none). */
  sentEntries(entryCount: number, lastIndex: number): void {
    if (this.state === ProgressState.Replicate) {
      if (entryCount > 0) {
        this.next = lastIndex + 1;
        assert(this.inflight.length < this.inflightMax, "append sent while the window is full");
        this.inflight.push(lastIndex);
      }
    } else {
      this.probeSent = true;
    }
  }

  /** A successful answer up to `index`. Returns whether `match` moved. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    while (this.inflight.length > 0 && (this.inflight[0] ?? 0) <= index) this.inflight.shift();
    return updated;
  }

  /**
   * A rejection of the append after `rejectedIndex`, with the follower's hint `hintIndex`.
   * Returns false for a stale rejection (out of order, already superseded).
   */
  maybeDecreaseTo(rejectedIndex: number, hintIndex: number): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejectedIndex <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejectedIndex) return false;
    this.next = Math.max(Math.min(rejectedIndex, hintIndex + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  /**
   * Whether an empty append is worth sending just to tell the follower a newer commit index:
   * only if it has not been told yet, and only up to what it holds (etcd's CanBumpCommit).
   */
  canBumpCommit(commitIndex: number): boolean {
    return this.sentCommit < commitIndex && this.sentCommit < this.next - 1;
  }

  /** Frees one in-flight slot so a heartbeat answer can restart a window whose appends were lost. */
  freeFirstInflight(): void {
    this.inflight.shift();
  }

  inflightCount(): number {
    return this.inflight.length;
  }

  private reset(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshotIndex = 0;
    this.snapshotElapsedTicks = 0;
    this.inflight.length = 0;
  }
}
