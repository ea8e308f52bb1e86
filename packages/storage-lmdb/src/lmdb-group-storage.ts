/**
 * One group's read side over the node's LMDB environment, as the Raft core reads it. The log's
 * bounds, the hard state and the snapshot metadata come from an in-memory summary that changes
 * only when a write commits, so `firstIndex`, `lastIndex`, `initialState` and the term at either
 * end cost no I/O; entries and snapshot data are read synchronously from the memory map.
 */
import { assert, type Entry, type InitialState, type Snapshot } from "@flotilla/raft";
import type { GroupStorage } from "@flotilla/runtime";
import type { GroupWrite } from "@flotilla/runtime";
import { RecentEntries } from "./recent-entries.js";
import type { GroupSummary } from "./write-plan.js";

/** Where a snapshot's data lives. */
export interface SnapshotLayout {
  readonly dataBytes: number;
  readonly chunkCount: number;
}

/** The node's reads, pinned to the committed state the summaries describe. */
export interface GroupReader {
  /** The entry at `index`. @throws {StorageCorruptionError} when missing or damaged. */
  readEntry(groupId: string, index: number): Entry;
  /** Entries in `[fromIndex, toIndex)` up to `bytesMax` (at least one). */
  readEntries(groupId: string, fromIndex: number, toIndex: number, bytesMax: number): Entry[];
  /** The snapshot's data, reassembled from its chunks. */
  readSnapshotData(groupId: string, layout: SnapshotLayout): Uint8Array;
}

/**
 * A group's {@link GroupStorage} in LMDB. Obtain it from `LmdbNodeStorage.group(groupId)`; it
 * stays valid until the group is removed or the storage closed.
 */
export class LmdbGroupStorage implements GroupStorage {
  readonly groupId: string;
  private readonly reader: GroupReader;
  private current: GroupSummary;
  private layout: SnapshotLayout;
  private removed = false;
  /** The latest entries written, so the reads that follow a write skip LMDB. */
  private readonly recent = new RecentEntries();

  /** @internal Built by LmdbNodeStorage. */
  constructor(groupId: string, summary: GroupSummary, layout: SnapshotLayout, reader: GroupReader) {
    this.groupId = groupId;
    this.current = summary;
    this.layout = layout;
    this.reader = reader;
  }

  /** @internal The committed summary. */
  summary(): GroupSummary {
    return this.current;
  }

  /** @internal Where the snapshot's data lives. */
  snapshotLayout(): SnapshotLayout {
    return this.layout;
  }

  /** @internal Called by the node once a write that touched this group committed. */
  install(summary: GroupSummary, layout: SnapshotLayout): void {
    this.current = summary;
    this.layout = layout;
  }

  /** @internal Called by the node once a write to this group committed, after `install`. */
  written(write: GroupWrite): void {
    if (write.snapshot !== undefined) this.recent.clear();
    if (write.entries !== undefined) this.recent.appended(write.entries);
  }

  /** @internal Called by the node once this group's removal committed. */
  markRemoved(): void {
    this.removed = true;
  }

  initialState(): InitialState {
    const summary = this.live();
    return { hardState: summary.hardState, membership: summary.snapshot.membership };
  }

  firstIndex(): number {
    return this.live().headIndex + 1;
  }

  lastIndex(): number {
    return this.live().lastIndex;
  }

  term(index: number): number | undefined {
    const summary = this.live();
    if (index < summary.headIndex || index > summary.lastIndex) return undefined;
    if (index === summary.headIndex) return summary.headTerm;
    if (index === summary.lastIndex) return summary.lastTerm;
    return (this.recent.get(index) ?? this.reader.readEntry(this.groupId, index)).term;
  }

  entries(fromIndex: number, toIndex: number, bytesMax: number): Entry[] {
    const summary = this.live();
    assert(
      fromIndex >= summary.headIndex + 1 && toIndex <= summary.lastIndex + 1,
      `entries [${fromIndex}, ${toIndex}) outside [${summary.headIndex + 1}, ` +
        `${summary.lastIndex + 1}) of ${this.groupId}`,
    );
    if (fromIndex >= toIndex) return [];
    return (
      this.recent.range(fromIndex, toIndex, bytesMax) ??
      this.reader.readEntries(this.groupId, fromIndex, toIndex, bytesMax)
    );
  }

  snapshot(): Snapshot {
    const summary = this.live();
    return {
      metadata: summary.snapshot,
      data: this.reader.readSnapshotData(this.groupId, this.layout),
    };
  }

  private live(): GroupSummary {
    assert(!this.removed, `group ${this.groupId} was removed: its storage is gone`);
    return this.current;
  }
}
