/**
 * An in-memory {@link RaftStorage} with the write side a host needs: the simulator's and unit
 * tests' storage, and the reference the LMDB storage is checked against. `entries[0]` is a dummy
 * standing for the snapshot point, so index arithmetic needs no special case (etcd's trick).
 */
import { entrySizeBytes, type Entry } from "./entry.js";
import { EMPTY_HARD_STATE, type HardState } from "./hard-state.js";
import type { Membership } from "./membership.js";
import type { Snapshot } from "./snapshot.js";
import type { InitialState, RaftStorage } from "./storage.js";
import { assert } from "./assert.js";

/**
 * Log, hard state and snapshot in memory.
 *
 * @example
 * const storage = new MemoryStorage(membershipOf([nodeId("a"), nodeId("b"), nodeId("c")]));
 * storage.append([{ index: 1, term: 1, type: "noop" }]);
 */
export class MemoryStorage implements RaftStorage {
  private hardState: HardState = EMPTY_HARD_STATE;
  private currentSnapshot: Snapshot;
  /** `log[0]` is the snapshot point (index and term only); real entries follow. */
  private log: Entry[];

  /** A fresh group bootstrapped with `membership` at index 0. */
  constructor(membership: Membership) {
    this.currentSnapshot = { metadata: { index: 0, term: 0, membership }, data: new Uint8Array() };
    this.log = [{ index: 0, term: 0, type: "noop" }];
  }

  initialState(): InitialState {
    return { hardState: this.hardState, membership: this.currentSnapshot.metadata.membership };
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.log.length - 1;
  }

  term(index: number): number | undefined {
    if (index < this.offset() || index > this.lastIndex()) return undefined;
    return this.log[index - this.offset()]?.term;
  }

  entries(fromIndex: number, toIndex: number, bytesMax: number): Entry[] {
    assert(
      fromIndex >= this.firstIndex() && toIndex <= this.lastIndex() + 1,
      `entries [${fromIndex}, ${toIndex}) outside [${this.firstIndex()}, ${this.lastIndex() + 1})`,
    );
    const result: Entry[] = [];
    let bytes = 0;
    for (let index = fromIndex; index < toIndex; index++) {
      const entry = this.log[index - this.offset()];
      assert(entry !== undefined, "log has no hole");
      bytes += entrySizeBytes(entry);
      if (result.length > 0 && bytes > bytesMax) break;
      result.push(entry);
    }
    return result;
  }

  snapshot(): Snapshot {
    return this.currentSnapshot;
  }

  /** Persists the hard state. */
  setHardState(hardState: HardState): void {
    this.hardState = hardState;
  }

  /**
   * Appends `entries`, which must be contiguous; an entry whose index is already present
   * replaces it and everything after it (the conflicting suffix). Entries at or below the
   * snapshot are ignored.
   */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const skip = Math.max(0, this.firstIndex() - first.index);
    if (skip >= entries.length) return;
    const start = first.index + skip;
    assert(
      start <= this.lastIndex() + 1,
      `append at ${start} leaves a hole after ${this.lastIndex()}`,
    );
    this.log.length = start - this.offset();
    for (let i = skip; i < entries.length; i++) {
      const entry = entries[i];
      assert(entry !== undefined && entry.index === start + i - skip, "entries are contiguous");
      this.log.push(entry);
    }
  }

  /**
   * Installs a snapshot received from the leader, replacing the whole log. (The core restores a
   * snapshot only when the log lacks the snapshot's last entry; when it has it, the core keeps the
   * log and just commits, Raft §7.)
   */
  applySnapshot(snapshot: Snapshot): void {
    const { index, term } = snapshot.metadata;
    if (index <= this.currentSnapshot.metadata.index) return;
    this.currentSnapshot = snapshot;
    this.log = [{ index, term, type: "noop" }];
    if (this.hardState.commitIndex < index)
      this.hardState = { ...this.hardState, commitIndex: index };
  }

  /**
   * Records a snapshot the local state machine took at `index` (which must be applied, hence in
   * the log), without discarding entries; call {@link compact} to discard them.
   */
  createSnapshot(index: number, membership: Membership, data: Uint8Array): Snapshot {
    const term = this.term(index);
    assert(term !== undefined, `snapshot index ${index} is not in the log`);
    if (index <= this.currentSnapshot.metadata.index) return this.currentSnapshot;
    this.currentSnapshot = { metadata: { index, term, membership }, data };
    return this.currentSnapshot;
  }

  /** Discards log entries at and below `index`, which must be covered by the snapshot. */
  compact(index: number): void {
    if (index <= this.offset()) return;
    assert(index <= this.currentSnapshot.metadata.index, "compact only below the snapshot");
    assert(index <= this.lastIndex(), "compact within the log");
    const term = this.term(index);
    assert(term !== undefined, "compact point has a term");
    this.log = [{ index, term, type: "noop" }, ...this.log.slice(index - this.offset() + 1)];
  }

  private offset(): number {
    const head = this.log[0];
    assert(head !== undefined, "log always holds its dummy head");
    return head.index;
  }
}
