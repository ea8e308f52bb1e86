/**
 * Short, deterministic fingerprints of entries and snapshots, so the checkers can remember every
 * entry of every group cheaply and compare what two replicas hold at the same index. A collision
 * could hide a violation, never invent one.
 */
import type { Entry } from "@flotilla/raft";

/** FNV-1a (32-bit) over `bytes`, with the length, as a string. */
export function bytesDigest(bytes: Uint8Array): string {
  let hash = 0x811c9dc5;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return `${(hash >>> 0).toString(16)}/${bytes.byteLength}`;
}

/** What `entry` carries (type and payload, not its index or term). */
export function entryDigest(entry: Entry): string {
  switch (entry.type) {
    case "normal":
      return `normal:${bytesDigest(entry.data)}`;
    case "noop":
      return "noop";
    case "config":
      return `config:${JSON.stringify(entry.change)}`;
  }
}
