/**
 * One replica's view of its log: stable storage plus the unstable tail, with the commit and
 * applied indexes. Guards `applied <= committed <= lastIndex` and never lets a committed entry be
 * overwritten (Raft §5.3, Log Matching; §5.4 State Machine Safety).
 */
import { entrySizeBytes, type Entry } from "./entry.js";
import type { Snapshot } from "./snapshot.js";
import type { RaftStorage } from "./storage.js";
import { UnstableLog } from "./unstable-log.js";
import { assert } from "./assert.js";

/** Log access for the core. */
export class RaftLog {
  readonly storage: RaftStorage;
  readonly unstable: UnstableLog;
  /** The highest index known committed. */
  committed: number;
  /** The highest index the host has applied (acknowledged through `advance`). */
  applied: number;

  constructor(storage: RaftStorage) {
    this.storage = storage;
    this.unstable = new UnstableLog(storage.lastIndex() + 1);
    this.committed = storage.firstIndex() - 1;
    this.applied = storage.firstIndex() - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** The term at `index`, or undefined when it is compacted away or beyond the log. */
  term(index: number): number | undefined {
    if (index < this.firstIndex() - 1 || index > this.lastIndex()) return undefined;
    return this.unstable.maybeTerm(index) ?? this.storage.term(index);
  }

  lastTerm(): number {
    const term = this.term(this.lastIndex());
    assert(term !== undefined, "the last index always has a term");
    return term;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /**
   * Whether a log ending at (`lastIndex`, `lastTerm`) is at least as up-to-date as ours
   * (Raft §5.4.1: compare last terms, then lengths).
   */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * The follower's side of AppendEntries (Raft §5.3): if our log holds `prevIndex` with
   * `prevTerm`, append `entries` (dropping any conflicting suffix), advance the commit index to
   * `min(leaderCommit, index of last new entry)`, and return that last new index; otherwise
   * return undefined. `beforeTruncate` hears of a conflicting suffix before it is dropped.
   */
  maybeAppend(
    prevIndex: number,
    prevTerm: number,
    leaderCommit: number,
    entries: readonly Entry[],
    beforeTruncate?: (fromIndex: number) => void,
  ): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNewIndex = prevIndex + entries.length;
    const conflictIndex = this.findConflict(entries);
    // Entries from the conflict on are about to be replaced (not merely appended to).
    if (conflictIndex !== 0 && conflictIndex <= this.lastIndex()) beforeTruncate?.(conflictIndex);
    if (conflictIndex !== 0) {
      assert(
        conflictIndex > this.committed,
        `entry ${conflictIndex} conflicts with the committed prefix (committed ${this.committed})`,
      );
      this.append(entries.slice(conflictIndex - prevIndex - 1));
    }
    this.commitTo(Math.min(leaderCommit, lastNewIndex));
    return lastNewIndex;
  }

  /**
   * The index of the first entry of `entries` that is not already in our log with the same
   * term, or 0 if all are. Entries beyond our last index count as conflicting (new).
   */
  findConflict(entries: readonly Entry[]): number {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /**
   * The largest index at or below `index` whose term is at most `term`, with its term: the
   * fast-backtracking hint (dissertation §5.3). Below the compaction point it answers with the
   * compaction point, whose term is unknown (0).
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = index; i >= this.firstIndex() - 1; i--) {
      const t = this.term(i);
      if (t === undefined) return { index: i, term: 0 };
      if (t <= term) return { index: i, term: t };
    }
    return { index: this.firstIndex() - 1, term: 0 };
  }

  /** Appends entries to the unstable tail; they must not overwrite committed entries. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    assert(
      first.index - 1 >= this.committed,
      `append after ${first.index - 1} < committed ${this.committed}`,
    );
    assert(first.index <= this.lastIndex() + 1, `append at ${first.index} leaves a hole`);
    this.unstable.truncateAndAppend(entries);
  }

  /** Entries in `[fromIndex, toIndex)` from storage and the tail, at most about `bytesMax`. */
  slice(fromIndex: number, toIndex: number, bytesMax: number): Entry[] {
    assert(
      fromIndex >= this.firstIndex(),
      `slice from ${fromIndex} below first ${this.firstIndex()}`,
    );
    assert(toIndex <= this.lastIndex() + 1, `slice to ${toIndex} past last ${this.lastIndex()}`);
    if (fromIndex >= toIndex) return [];
    const offset = this.unstable.offset;
    let result: Entry[] = [];
    if (fromIndex < offset) {
      result = this.storage.entries(fromIndex, Math.min(toIndex, offset), bytesMax);
      const storedTo = fromIndex + result.length;
      if (storedTo < Math.min(toIndex, offset)) return result; // size limit hit in storage
    }
    if (toIndex > offset) {
      let bytes = 0;
      for (const entry of result) bytes += entrySizeBytes(entry);
      for (const entry of this.unstable.slice(Math.max(fromIndex, offset), toIndex)) {
        bytes += entrySizeBytes(entry);
        if (result.length > 0 && bytes > bytesMax) break;
        result.push(entry);
      }
    }
    return result;
  }

  /** Raises the commit index. It never goes backwards and never past the last index. */
  commitTo(index: number): void {
    if (index <= this.committed) return;
    assert(index <= this.lastIndex(), `commit ${index} past last index ${this.lastIndex()}`);
    this.committed = index;
  }

  /** The host applied through `index`. */
  appliedTo(index: number): void {
    assert(index <= this.committed, `applied ${index} past committed ${this.committed}`);
    if (index > this.applied) this.applied = index;
  }

  /** Committed entries not yet handed out for applying, at most about `bytesMax`. */
  nextCommittedEntries(bytesMax: number): Entry[] {
    const fromIndex = Math.max(this.applied + 1, this.firstIndex());
    const toIndex = Math.min(this.committed, this.lastIndex()) + 1;
    if (fromIndex >= toIndex) return [];
    return this.slice(fromIndex, toIndex, bytesMax);
  }

  hasNextCommittedEntries(): boolean {
    return (
      Math.max(this.applied + 1, this.firstIndex()) <= Math.min(this.committed, this.lastIndex())
    );
  }

  /** Replaces the log with a snapshot from the leader; the snapshot point is committed. */
  restore(snapshot: Snapshot): void {
    this.unstable.restore(snapshot);
    this.committed = snapshot.metadata.index;
  }
}
