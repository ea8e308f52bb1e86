/**
 * The tail of one group's log as it was last written, kept in memory so that the reads which
 * follow a write — applying the entries once they commit, re-sending them to a slow follower,
 * the term checks of AppendEntries — cost no LMDB read, no decode and no checksum. It holds
 * the very `Entry` objects the core handed to `write`, so what it returns is what was stored.
 *
 * Bounded per group (a few dozen entries, a few KiB each at most), so ten thousand groups
 * cannot make it large; anything older is read from LMDB as before.
 */
import { entrySizeBytes, type Entry } from "@flotilla/raft";

/** Entries kept per group at most. */
export const RECENT_ENTRIES_MAX = 256;
/** Entry bytes kept per group at most (an entry larger than this alone is not kept). */
export const RECENT_BYTES_MAX = 256 * 1024;

/**
 * A contiguous run of a group's latest entries.
 *
 * @example
 * const recent = new RecentEntries();
 * recent.appended(entries); // after the write that stored them committed
 * recent.get(7); // the entry at index 7, or undefined if not held
 */
export class RecentEntries {
  /** Contiguous by index; empty or ending at the last index written. */
  private run: Entry[] = [];
  private bytes = 0;

  /**
   * Entries just stored (after any suffix they replaced was truncated). They extend the run,
   * replace its conflicting suffix, or start a new run when they do not touch it.
   */
  appended(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const start = this.run[0]?.index;
    if (start === undefined || first.index < start || first.index > start + this.run.length) {
      this.clear();
    } else {
      const keep = first.index - start;
      for (const dropped of this.run.splice(keep)) this.bytes -= entrySizeBytes(dropped);
    }
    for (const entry of entries) {
      this.run.push(entry);
      this.bytes += entrySizeBytes(entry);
    }
    let drop = 0;
    while (
      drop < this.run.length &&
      (this.run.length - drop > RECENT_ENTRIES_MAX || this.bytes > RECENT_BYTES_MAX)
    ) {
      this.bytes -= entrySizeBytes(this.run[drop] as Entry);
      drop++;
    }
    if (drop > 0) this.run.splice(0, drop);
  }

  /** The log was replaced below or at these entries (a snapshot installed): forget them all. */
  clear(): void {
    this.run = [];
    this.bytes = 0;
  }

  /** The entry at `index`, if held. */
  get(index: number): Entry | undefined {
    const start = this.run[0]?.index;
    if (start === undefined || index < start) return undefined;
    return this.run[index - start];
  }

  /**
   * Entries in `[fromIndex, toIndex)` up to `bytesMax` (at least one), when every one of them
   * is held; undefined otherwise (the caller reads LMDB).
   */
  range(fromIndex: number, toIndex: number, bytesMax: number): Entry[] | undefined {
    const start = this.run[0]?.index;
    if (start === undefined || fromIndex < start || toIndex > start + this.run.length) {
      return undefined;
    }
    const result: Entry[] = [];
    let bytes = 0;
    for (let index = fromIndex; index < toIndex; index++) {
      const entry = this.run[index - start] as Entry;
      bytes += entrySizeBytes(entry);
      if (result.length > 0 && bytes > bytesMax) break;
      result.push(entry);
    }
    return result;
  }
}
