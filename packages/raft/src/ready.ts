/**
 * The Ready record: everything the core asks its host to do, in the order it must be done.
 * The host handles one Ready completely, then calls `raft.advance(ready)`.
 */
import type { Entry } from "./entry.js";
import type { HardState } from "./hard-state.js";
import type { NodeId } from "./ids.js";
import type { Message } from "./message.js";
import type { Snapshot } from "./snapshot.js";

/** A replica's role. `as const` object with a derived type. */
export const Role = {
  Follower: "follower",
  PreCandidate: "pre-candidate",
  Candidate: "candidate",
  Leader: "leader",
} as const;
export type Role = (typeof Role)[keyof typeof Role];

/** Volatile state worth telling the host about: who leads, and what this replica is. */
export interface SoftState {
  readonly role: Role;
  readonly leaderId: NodeId | undefined;
  readonly term: number;
}

/**
 * A linearizable read point (dissertation §6.4): once the state machine has applied `index`,
 * a query tagged with `context` may be answered locally.
 */
export interface ReadState {
  readonly index: number;
  readonly context: Uint8Array;
}

/**
 * What the host must do, in this order:
 *
 * 1. Persist `snapshot` (if any), then `entries`, then `hardState` (if any) — synced to stable
 *    storage when `mustSync` is true — BEFORE sending any of `messages`. A vote or an
 *    AppendEntriesResult is a promise about durable state.
 * 2. Send `messages`.
 * 3. Restore the state machine from `snapshot` (if any), then apply `committedEntries` in order.
 * 4. Serve `readStates` once their index is applied.
 * 5. Call `raft.advance(ready)`.
 */
export interface Ready {
  /** Set when role, leader or term changed since the last Ready. */
  readonly softState: SoftState | undefined;
  /** Set when term, vote or commit index changed since the last Ready. */
  readonly hardState: HardState | undefined;
  /** New log entries to append to stable storage (they may overwrite a conflicting suffix). */
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader, to persist and restore. */
  readonly snapshot: Snapshot | undefined;
  /** Committed entries to apply, in index order. Never includes an entry not yet persisted. */
  readonly committedEntries: readonly Entry[];
  /** Messages to send once the writes above are durable. */
  readonly messages: readonly Message[];
  /** Read points confirmed since the last Ready. */
  readonly readStates: readonly ReadState[];
  /** False when nothing in the writes above needs an fsync (e.g. only the commit index moved). */
  readonly mustSync: boolean;
}
