/**
 * Routing a key to one group of a sharded set: the set `name` has `count` groups named
 * `<name>-<i>` (i from 0), and a key goes to group `fnv1a32(utf8(key)) mod count`, where
 * fnv1a32 is 32-bit FNV-1a (offset basis 2166136261, prime 16777619) over the key's UTF-8 bytes.
 * docs/protocol.md states the same so other languages route the same way.
 */
import { fnv1a32 } from "@flotilla/runtime";

export { fnv1a32 };

const encoder = new TextEncoder();

/** The group of the sharded set `name` (of `count` groups) that owns `key`. */
export function shardFor(name: string, count: number, key: string): string {
  if (!Number.isInteger(count) || count < 1) throw new RangeError("count must be >= 1");
  return `${name}-${fnv1a32(encoder.encode(key)) % count}`;
}
