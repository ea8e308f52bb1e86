/**
 * The core's read-only view of stable storage (etcd-io/raft's `Storage`). The core never writes:
 * the host persists what a Ready tells it to, then the core reads it back through this
 * interface. Reads are synchronous; an implementation serves them from memory or a memory map.
 */
import type { Entry } from "./entry.js";
import type { HardState } from "./hard-state.js";
import type { Membership } from "./membership.js";
import type { Snapshot } from "./snapshot.js";

/** What the core needs to restart a replica. */
export interface InitialState {
  readonly hardState: HardState;
  /**
   * The membership at the last snapshot (or the bootstrap membership). Configuration entries
   * after the snapshot are re-applied as their committed entries are re-applied.
   */
  readonly membership: Membership;
}

/** Stable storage as the core sees it. */
export interface RaftStorage {
  /** Persisted hard state and membership at the snapshot. */
  initialState(): InitialState;
  /** The first index still in the log: the snapshot index + 1. */
  firstIndex(): number;
  /** The last index in the log (the snapshot index when the log is empty). */
  lastIndex(): number;
  /**
   * The term of the entry at `index`, for `firstIndex() - 1 <= index <= lastIndex()`
   * (`firstIndex() - 1` answers with the snapshot's term); `undefined` outside that range.
   */
  term(index: number): number | undefined;
  /**
   * Entries in `[fromIndex, toIndex)`, stopping once their size passes `bytesMax` but always
   * returning at least one entry when the range is non-empty. The range must lie within
   * `[firstIndex(), lastIndex() + 1)`.
   */
  entries(fromIndex: number, toIndex: number, bytesMax: number): Entry[];
  /** The latest snapshot, to send to a follower behind the compaction point. */
  snapshot(): Snapshot;
}
