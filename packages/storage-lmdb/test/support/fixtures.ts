/**
 * Small builders for storage tests: entries of every type, memberships, hard states.
 */
import {
  membershipOf,
  nodeId,
  type Entry,
  type HardState,
  type Membership,
  type Snapshot,
} from "@flotilla/raft";

export const A = nodeId("a");
export const B = nodeId("b");
export const C = nodeId("c");

/** The membership most tests bootstrap with. */
export const MEMBERS: Membership = membershipOf([A, B, C]);

/** A normal entry whose data names its index and term. */
export function normal(index: number, term: number, bytes?: Uint8Array): Entry {
  return {
    index,
    term,
    type: "normal",
    data: bytes ?? new TextEncoder().encode(`e${index}t${term}`),
  };
}

/** Normal entries `from..to` (inclusive) at `term`. */
export function normals(from: number, to: number, term: number): Entry[] {
  const entries: Entry[] = [];
  for (let index = from; index <= to; index++) entries.push(normal(index, term));
  return entries;
}

/** A hard state. */
export function hardState(term: number, vote: string | undefined, commitIndex: number): HardState {
  return { term, vote: vote === undefined ? undefined : nodeId(vote), commitIndex };
}

/** A snapshot as a leader would send it. */
export function snapshotAt(
  index: number,
  term: number,
  data: Uint8Array,
  membership = MEMBERS,
): Snapshot {
  return { metadata: { index, term, membership }, data };
}

/** Deterministic pseudo-random bytes (xorshift), for data that must not compress or repeat. */
export function noiseBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}
