/**
 * One page of a group's committed history for a remote reader catching up
 * (`g.<groupId>.entries`): from `fromIndex`, a snapshot event first when the log is compacted
 * past it, then the application entries in order, up to a byte bound, and the index the page
 * covers through — no-op and configuration entries are skipped but covered, so a reader knows
 * nothing between `fromIndex` and `through` is missing.
 */
import type { RaftStorage } from "@flotilla/raft";
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

/** Reads a page from `storage`, never past `appliedIndex`. */
export function readCommittedPage(
  storage: RaftStorage,
  appliedIndex: number,
  fromIndex: number,
  maxBytes: number,
): CommittedPage {
  const events: CommittedEvent[] = [];
  let next = Math.max(1, fromIndex);
  if (next < storage.firstIndex()) {
    const snapshot = storage.snapshot();
    const { index, term } = snapshot.metadata;
    events.push({ type: "snapshot", index, term, data: decodeSnapshot(snapshot.data).state });
    next = index + 1;
  }
  if (next <= appliedIndex) {
    for (const entry of storage.entries(next, appliedIndex + 1, maxBytes)) {
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
