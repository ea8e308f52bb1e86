/**
 * The tail of the log not yet in stable storage: entries (and possibly an incoming snapshot) that
 * the host has been handed in a Ready but not yet acknowledged as persisted. Entries here shadow
 * stable storage at the same index, since they may overwrite a conflicting suffix.
 */
import type { Entry } from "./entry.js";
import type { Snapshot } from "./snapshot.js";
import { assert } from "./assert.js";

/** Unpersisted entries starting at `offset`, and an unpersisted snapshot ending at `offset - 1`. */
export class UnstableLog {
  snapshot: Snapshot | undefined = undefined;
  entries: Entry[] = [];
  /** The index of `entries[0]` (or where the next entry would go). */
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  /** The first index in the log, if a snapshot here decides it. */
  maybeFirstIndex(): number | undefined {
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index + 1;
  }

  /** The last index in the log, if this tail decides it. */
  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot?.metadata.index;
  }

  /** The term at `index`, if this tail holds it. */
  maybeTerm(index: number): number | undefined {
    if (index < this.offset) {
      if (this.snapshot !== undefined && this.snapshot.metadata.index === index) {
        return this.snapshot.metadata.term;
      }
      return undefined;
    }
    return this.entries[index - this.offset]?.term;
  }

  /** Entries through `index` (with term `term`) are now persisted: drop them from the tail. */
  stableTo(index: number, term: number): void {
    if (index < this.offset) return;
    // Only if the entry is still the one persisted; a newer leader may have replaced it since.
    if (this.maybeTerm(index) !== term) return;
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }

  /** The snapshot at `index` is now persisted. */
  stableSnapshotTo(index: number): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === index) {
      this.snapshot = undefined;
    }
  }

  /** Replaces everything with a snapshot received from the leader. */
  restore(snapshot: Snapshot): void {
    this.offset = snapshot.metadata.index + 1;
    this.entries = [];
    this.snapshot = snapshot;
  }

  /** Appends `entries`, first truncating whatever conflicts at and after their first index. */
  truncateAndAppend(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const after = first.index;
    if (after === this.offset + this.entries.length) {
      this.entries.push(...entries);
    } else if (after <= this.offset) {
      // The new entries replace the whole tail and part of stable storage.
      this.offset = after;
      this.entries = [...entries];
    } else {
      this.entries = [...this.entries.slice(0, after - this.offset), ...entries];
    }
  }

  /** Entries in `[fromIndex, toIndex)`, which must lie within this tail. */
  slice(fromIndex: number, toIndex: number): Entry[] {
    assert(
      fromIndex >= this.offset && toIndex <= this.offset + this.entries.length,
      `unstable slice [${fromIndex}, ${toIndex}) outside [${this.offset}, ${this.offset + this.entries.length})`,
    );
    return this.entries.slice(fromIndex - this.offset, toIndex - this.offset);
  }
}
