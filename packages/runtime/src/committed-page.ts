/**
 * One page of a group's committed history for a remote reader catching up
 * (`g.<groupId>.entries`): from `fromIndex`, a snapshot event first when the log is compacted
 * past it, then the application entries in order, up to a byte bound, and the index the page
 * covers through — no-op and configuration entries are skipped but covered, so a reader knows
 * nothing between `fromIndex` and `through` is missing. A page never reaches past what this
 * replica's storage holds (DESIGN.md, "Serve only what you hold"): since ADR 0009 a replica may
 * apply committed entries while its own write of them is in flight, so the applied index alone
 * can run ahead of storage — or over a conflicting suffix that write is about to replace.
 */
import { assert, type RaftStorage } from "@flotilla/raft";
import type { CommittedEvent } from "./committed-feed.js";
import { commandBytes } from "./sessions/command-envelope.js";
import { decodeSnapshot } from "./sessions/snapshot-envelope.js";

/** A page of committed events. */
export interface CommittedPage {
  /** Snapshot (at most one, first) and entry events with index ≥ fromIndex, in order. */
  readonly events: readonly CommittedEvent[];
  /** Every committed index up to here, from `fromIndex`, is accounted for by `events`. */
  readonly through: number;
}

/** How far a page may read: the local applied index and the replica's stored index. */
export interface PageBound {
  /** The last index the local state machine applied. */
  readonly appliedIndex: number;
  /**
   * The last index storage holds for this replica's log (`Raft.storedIndex()`): entries past it
   * may be in flight, or be a conflicting suffix about to be replaced.
   */
  readonly storedIndex: number;
}

/**
 * Reads a page from `storage`, never past `min(appliedIndex, storedIndex)`. While the replica's
 * write of applied entries is in flight the page ends before them (`through` below the applied
 * index), and while a snapshot received from the leader is stored but not yet restored a page
 * that would start with it is empty; the reader asks again from `through + 1`.
 *
 * @throws {AssertionError} when `storedIndex` lies past storage's last index (a host that
 *   reported a write stored before storage could return it).
 */
export function readCommittedPage(
  storage: RaftStorage,
  bound: PageBound,
  fromIndex: number,
  maxBytes: number,
): CommittedPage {
  const lastIndex = storage.lastIndex();
  assert(
    bound.storedIndex <= lastIndex,
    `stored index ${bound.storedIndex} past the last index ${lastIndex} storage returns`,
  );
  const readable = Math.min(bound.appliedIndex, bound.storedIndex);
  const events: CommittedEvent[] = [];
  let next = Math.max(1, fromIndex);
  if (next < storage.firstIndex()) {
    const snapshot = storage.snapshot();
    const { index, term } = snapshot.metadata;
    // A snapshot from the leader is readable once its write commits, but the replica restores
    // it only after the write resolves: until then it is past what this replica applied.
    if (index > readable) return { events, through: next - 1 };
    events.push({ type: "snapshot", index, term, data: decodeSnapshot(snapshot.data).state });
    next = index + 1;
  }
  if (next <= readable) {
    for (const entry of storage.entries(next, readable + 1, maxBytes)) {
      if (entry.type === "normal") {
        events.push({
          type: "entry",
          index: entry.index,
          term: entry.term,
          data: commandBytes(entry.data),
        });
      }
      next = entry.index + 1;
    }
  }
  return { events, through: next - 1 };
}
