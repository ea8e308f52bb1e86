/**
 * The state Raft must persist before it answers anyone (Raft Figure 2, "persistent state on all
 * servers"), plus the commit index so a restart can re-apply without a round trip.
 */
import type { NodeId } from "./ids.js";

/** Persistent per-group state. `vote` is the candidate voted for in `term`, if any. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId | undefined;
  readonly commitIndex: number;
}

/** The hard state of a group that has never run. */
export const EMPTY_HARD_STATE: HardState = { term: 0, vote: undefined, commitIndex: 0 };

/** Structural equality of two hard states. */
export function hardStateEquals(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commitIndex === b.commitIndex;
}
