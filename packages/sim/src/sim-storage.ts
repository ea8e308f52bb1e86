/**
 * A replica's storage with a crash model: every write lands in volatile state and becomes
 * durable only at {@link SimStorage.sync}; a crash keeps the durable state (plus, if the
 * simulator says so, a prefix of the unsynced writes, as an OS that flushed some pages would)
 * and throws the rest away. A host that syncs when a Ready says `mustSync` loses nothing it
 * acknowledged; one that does not is caught by the checkers.
 */
import {
  MemoryStorage,
  type Entry,
  type HardState,
  type InitialState,
  type Membership,
  type RaftStorage,
  type Snapshot,
} from "@flotilla/raft";

/** One write, kept until it is synced so that a crash can replay a prefix of them. */
type StorageWrite =
  | { readonly type: "hard-state"; readonly hardState: HardState }
  | { readonly type: "append"; readonly entries: readonly Entry[] }
  | { readonly type: "apply-snapshot"; readonly snapshot: Snapshot }
  | {
      readonly type: "create-snapshot";
      readonly index: number;
      readonly membership: Membership;
      readonly data: Uint8Array;
    }
  | { readonly type: "compact"; readonly index: number };

/**
 * Unsynced writes kept at most. A host syncs at least once per Ready with entries, so this is
 * never reached by a correct host; past it the storage syncs by itself (an OS flushing).
 */
export const UNSYNCED_WRITES_MAX = 4096;

/**
 * {@link RaftStorage} over two {@link MemoryStorage}s: `live` (what the core reads and the
 * host writes) and `durable` (what survives a crash).
 *
 * @example
 * const storage = new SimStorage(membershipOf([nodeId("a")]));
 * storage.setHardState({ term: 1, vote: nodeId("a"), commitIndex: 0 });
 * storage.crash(0); // the vote is gone: it was never synced
 */
export class SimStorage implements RaftStorage {
  private live: MemoryStorage;
  private durable: MemoryStorage;
  private unsynced: StorageWrite[] = [];

  constructor(membership: Membership) {
    this.live = new MemoryStorage(membership);
    this.durable = new MemoryStorage(membership);
  }

  initialState(): InitialState {
    return this.live.initialState();
  }

  firstIndex(): number {
    return this.live.firstIndex();
  }

  lastIndex(): number {
    return this.live.lastIndex();
  }

  term(index: number): number | undefined {
    return this.live.term(index);
  }

  entries(fromIndex: number, toIndex: number, bytesMax: number): Entry[] {
    return this.live.entries(fromIndex, toIndex, bytesMax);
  }

  snapshot(): Snapshot {
    return this.live.snapshot();
  }

  /** Writes the hard state (volatile until {@link sync}). */
  setHardState(hardState: HardState): void {
    this.write({ type: "hard-state", hardState });
  }

  /** Appends entries, replacing a conflicting suffix (volatile until {@link sync}). */
  append(entries: readonly Entry[]): void {
    if (entries.length > 0) this.write({ type: "append", entries });
  }

  /** Installs a snapshot received from the leader (volatile until {@link sync}). */
  applySnapshot(snapshot: Snapshot): void {
    this.write({ type: "apply-snapshot", snapshot });
  }

  /** Records a snapshot the local state machine took at `index` (volatile until {@link sync}). */
  createSnapshot(index: number, membership: Membership, data: Uint8Array): void {
    this.write({ type: "create-snapshot", index, membership, data });
  }

  /** Discards entries at and below `index` (volatile until {@link sync}). */
  compact(index: number): void {
    this.write({ type: "compact", index });
  }

  /** Makes every write so far durable (an fsync). */
  sync(): void {
    for (const write of this.unsynced) applyWrite(this.durable, write);
    this.unsynced = [];
  }

  /** How many writes a crash right now could lose. */
  unsyncedWriteCount(): number {
    return this.unsynced.length;
  }

  /**
   * The node crashed: the first `keptWrites` unsynced writes reached the disk anyway, the rest
   * are lost, and the live state becomes what is on disk.
   */
  crash(keptWrites: number): void {
    const kept = this.unsynced.slice(0, Math.max(0, keptWrites));
    for (const write of kept) applyWrite(this.durable, write);
    this.unsynced = [];
    this.live = cloneStorage(this.durable);
  }

  /** The durable hard state (what a restart would read). */
  durableHardState(): HardState {
    return this.durable.initialState().hardState;
  }

  /** The durable log's last index (what a restart would read). */
  durableLastIndex(): number {
    return this.durable.lastIndex();
  }

  /** The term of the durable entry at `index`, as {@link RaftStorage.term} answers. */
  durableTerm(index: number): number | undefined {
    return this.durable.term(index);
  }

  /** The durable log's first index. */
  durableFirstIndex(): number {
    return this.durable.firstIndex();
  }

  private write(write: StorageWrite): void {
    applyWrite(this.live, write);
    this.unsynced.push(write);
    if (this.unsynced.length > UNSYNCED_WRITES_MAX) this.sync();
  }
}

function applyWrite(storage: MemoryStorage, write: StorageWrite): void {
  switch (write.type) {
    case "hard-state":
      storage.setHardState(write.hardState);
      return;
    case "append":
      storage.append(write.entries);
      return;
    case "apply-snapshot":
      storage.applySnapshot(write.snapshot);
      return;
    case "create-snapshot":
      storage.createSnapshot(write.index, write.membership, write.data);
      return;
    case "compact":
      storage.compact(write.index);
      return;
  }
}

/**
 * A faithful copy (entries are immutable, so they are shared). The log may start below the
 * snapshot (the host compacts with some trailing entries kept), so the copy is rebuilt from the
 * log's head, then the snapshot is recorded on top.
 */
function cloneStorage(source: MemoryStorage): MemoryStorage {
  const snapshot = source.snapshot();
  const { index: snapshotIndex, membership } = snapshot.metadata;
  const headIndex = source.firstIndex() - 1;
  const headTerm = source.term(headIndex) ?? 0;
  const copy = new MemoryStorage(membership);
  if (headIndex > 0) {
    const head =
      snapshotIndex === headIndex ? snapshot : headSnapshot(headIndex, headTerm, snapshot);
    copy.applySnapshot(head);
  }
  const last = source.lastIndex();
  if (last > headIndex)
    copy.append(source.entries(headIndex + 1, last + 1, Number.POSITIVE_INFINITY));
  if (snapshotIndex > headIndex) copy.createSnapshot(snapshotIndex, membership, snapshot.data);
  copy.setHardState(source.initialState().hardState);
  return copy;
}

/** A stand-in snapshot that only positions the log head; the real snapshot replaces it. */
function headSnapshot(index: number, term: number, real: Snapshot): Snapshot {
  return { metadata: { index, term, membership: real.metadata.membership }, data: real.data };
}
