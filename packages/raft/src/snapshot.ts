/**
 * Snapshots (Raft §7): the state machine's state up to `metadata.index`, which replaces the log
 * at and below that index. The membership in force at that index travels with it.
 */
import type { Membership } from "./membership.js";

/** What a snapshot covers. */
export interface SnapshotMetadata {
  /** The last log index the snapshot includes. */
  readonly index: number;
  /** The term of the entry at `index`. */
  readonly term: number;
  /** The membership in force once `index` is applied. */
  readonly membership: Membership;
}

/** A snapshot: metadata plus the state machine's serialized state (opaque to Raft). */
export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}
