/**
 * Automatic snapshots and log compaction of one replica. The round counts what it applies; past
 * a threshold (entries or bytes since the last snapshot, and at least half the last snapshot's
 * size in bytes — see `due`) the replica takes the state machine's
 * snapshot synchronously at its applied index, and this records it in storage in the
 * background — never awaited by the round loop, at most one in flight per group. Once stored,
 * a later round's write carries `compactThrough`, keeping some trailing entries so a slightly
 * lagging follower catches up from the log rather than from a snapshot. A failure is logged and
 * retried after the next applied entries; it never stops the node.
 */
import type { Logger } from "pino";
import type { Entry, Membership } from "@flotilla/raft";
import type { GroupStorage, NodeStorage } from "./node-storage.js";

/** When a replica snapshots and how much log it keeps below the snapshot. */
export interface SnapshotPolicy {
  /** Applied entries since the last snapshot that trigger the next one. */
  readonly entriesThreshold: number;
  /** Applied command bytes since the last snapshot that trigger the next one. */
  readonly bytesThreshold: number;
  /** Entries kept below the snapshot index when the log is compacted. */
  readonly trailingEntries: number;
}

/** Everything a snapshotter works with. */
export interface SnapshotterOptions {
  readonly groupId: string;
  readonly storage: NodeStorage;
  readonly groupStorage: GroupStorage;
  readonly policy: SnapshotPolicy;
  readonly logger: Logger;
  /** Called once a snapshot is stored and a compaction waits for a round. */
  readonly onStored: () => void;
}

/** One replica's snapshot and compaction bookkeeping. */
export class Snapshotter {
  private entriesSince = 0;
  private bytesSince = 0;
  private inFlight: Promise<void> | undefined;
  private compaction: number | undefined;
  /** The size of the last snapshot taken or restored here (0 until the first). */
  private lastSnapshotBytes = 0;

  constructor(private readonly options: SnapshotterOptions) {}

  /** Counts entries the state machine just applied. */
  applied(entries: readonly Entry[]): void {
    for (const entry of entries) {
      this.entriesSince++;
      if (entry.type === "normal") this.bytesSince += entry.data.byteLength;
    }
  }

  /** The state machine was replaced by a snapshot of `bytes`: counting starts again from it. */
  restored(bytes: number): void {
    this.entriesSince = 0;
    this.bytesSince = 0;
    this.lastSnapshotBytes = bytes;
  }

  /**
   * True when a threshold is passed, the log since the last snapshot has grown to at least
   * half that snapshot's size, and no snapshot of this group is in flight. The size rule keeps
   * a large state from being serialized (synchronously, on every replica) every few thousand
   * small entries: a snapshot costs at most about two bytes encoded per byte applied, and the
   * log stays no larger than about half the state (CockroachDB truncates by the same measure).
   */
  due(): boolean {
    if (this.inFlight !== undefined) return false;
    const { policy } = this.options;
    const threshold =
      this.entriesSince >= policy.entriesThreshold || this.bytesSince >= policy.bytesThreshold;
    return threshold && 2 * this.bytesSince >= this.lastSnapshotBytes;
  }

  /**
   * Stores `data`, the state at `index` under `membership`, in the background. The returned
   * promise never rejects (failures are logged and retried after more entries apply).
   */
  store(index: number, membership: Membership, data: Uint8Array): Promise<void> {
    const counted = { entries: this.entriesSince, bytes: this.bytesSince };
    this.entriesSince = 0;
    this.bytesSince = 0;
    this.lastSnapshotBytes = data.byteLength;
    const { storage, groupId, logger } = this.options;
    const inFlight = storage
      .createSnapshot(groupId, index, membership, data)
      .then((stored) => {
        const through = stored.metadata.index - this.options.policy.trailingEntries;
        if (through > (this.compaction ?? 0)) this.compaction = through;
        logger.debug({ index: stored.metadata.index, bytes: data.byteLength }, "snapshot stored");
        this.options.onStored();
      })
      .catch((error: unknown) => {
        // Count them again, so the next applied entry retries.
        this.entriesSince += counted.entries;
        this.bytesSince += counted.bytes;
        logger.warn({ err: error, index }, "snapshot failed; retrying later");
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    this.inFlight = inFlight;
    return inFlight;
  }

  /** True when a stored snapshot waits to compact the log. */
  hasCompaction(): boolean {
    return this.compaction !== undefined;
  }

  /**
   * The `compactThrough` for this round's write, if a stored snapshot allows one that removes
   * entries; taken once.
   */
  takeCompaction(): number | undefined {
    const through = this.compaction;
    if (through === undefined) return undefined;
    this.compaction = undefined;
    const { groupStorage } = this.options;
    const covered = Math.min(through, groupStorage.snapshot().metadata.index);
    if (covered < groupStorage.firstIndex() || covered > groupStorage.lastIndex()) {
      return undefined;
    }
    return covered;
  }

  /** Waits for the snapshot in flight, if any. */
  async settled(): Promise<void> {
    await this.inFlight;
  }
}
