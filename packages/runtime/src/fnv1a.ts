/**
 * 32-bit FNV-1a (offset basis 2166136261, prime 16777619): a cheap, stable hash. The client
 * routes keys to shards with it (docs/protocol.md), and the runtime picks which survivor of a
 * dead leader's group campaigns first.
 */

/**
 * 32-bit FNV-1a of `bytes`, as an unsigned integer.
 *
 * @example
 * fnv1a32(new TextEncoder().encode("a")); // 0xe40c292c
 */
export function fnv1a32(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}
