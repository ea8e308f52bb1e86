/**
 * Log entries. An entry's `data` is opaque bytes to Raft; only configuration entries carry a
 * structure the core itself reads. Indexes start at 1; index 0 / term 0 is the empty log's origin.
 */
import type { MembershipChange } from "./membership.js";

/** What an entry carries. `as const` object with a derived type, not a TS enum. */
export const EntryType = {
  /** An application command: opaque bytes for the state machine. */
  Normal: "normal",
  /** The empty entry a new leader appends to commit its term (Raft §5.4.2, §8). */
  Noop: "noop",
  /** A membership change (joint consensus, Raft §6). */
  Config: "config",
} as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

interface EntryBase {
  readonly index: number;
  readonly term: number;
}

/** An application command. */
export interface NormalEntry extends EntryBase {
  readonly type: "normal";
  readonly data: Uint8Array;
}

/** A new leader's no-op. */
export interface NoopEntry extends EntryBase {
  readonly type: "noop";
}

/** A membership change; see {@link MembershipChange}. */
export interface ConfigEntry extends EntryBase {
  readonly type: "config";
  readonly change: MembershipChange;
}

/** One entry of a group's replicated log. */
export type Entry = NormalEntry | NoopEntry | ConfigEntry;

/** Approximate encoded size of an entry, used for batch and flow-control limits. */
export function entrySizeBytes(entry: Entry): number {
  const overhead = 24;
  switch (entry.type) {
    case "normal":
      return overhead + entry.data.byteLength;
    case "noop":
      return overhead;
    case "config":
      return (
        overhead + (entry.change.kind === "leave-joint" ? 8 : 32 * entry.change.changes.length + 8)
      );
  }
}

/** Sum of {@link entrySizeBytes} over `entries`. */
export function entriesSizeBytes(entries: readonly Entry[]): number {
  let total = 0;
  for (const entry of entries) total += entrySizeBytes(entry);
  return total;
}
