/**
 * A leader's index of the session commands in its log that are not applied yet, by (client,
 * sequence): a retry of one of them waits for that entry instead of appending a copy. With the
 * session table answering retries of applied commands, the committed log holds each client
 * command at most once — an entry missing from a new leader's log can never commit (Leader
 * Completeness), so what the leader's own log holds is all that matters.
 */
import type { RaftStorage } from "@flotilla/raft";
import { decodeFrame, type SessionHeader } from "./command-envelope.js";

/** Where a session command sits in the log. */
export interface LogPosition {
  readonly index: number;
  readonly term: number;
}

/** Scans at most this many bytes of unapplied log when taking office. */
const REBUILD_BYTES_MAX = 256 * 1024 * 1024;

export class InFlightSessions {
  private readonly byKey = new Map<string, LogPosition>();
  /** The leader term the index was built for (0: never). */
  term = 0;

  /** The position of `session`'s command in the log, if it is there and unapplied. */
  find(session: SessionHeader): LogPosition | undefined {
    return this.byKey.get(key(session));
  }

  /** `session`'s command was appended at `index` in `term`. */
  add(session: SessionHeader, index: number, term: number): void {
    this.byKey.set(key(session), { index, term });
  }

  /** Entries through `applied` are applied: the session table answers for them now. */
  appliedThrough(applied: number): void {
    if (this.byKey.size === 0) return;
    for (const [k, position] of this.byKey) if (position.index <= applied) this.byKey.delete(k);
  }

  /**
   * Rebuilds the index from the stable log after `applied`, for a leader of `term` taking office
   * (before it appends anything in that term).
   */
  rebuild(storage: RaftStorage, applied: number, term: number): void {
    this.byKey.clear();
    this.term = term;
    const last = storage.lastIndex();
    if (last <= applied) return;
    for (const entry of storage.entries(applied + 1, last + 1, REBUILD_BYTES_MAX)) {
      if (entry.type !== "normal") continue;
      const frame = decodeFrame(entry.data);
      if (frame.type === "session") this.add(frame.session, entry.index, entry.term);
    }
  }
}

function key(session: SessionHeader): string {
  return `${session.clientId}\\u0000${session.sequence}`;
}
