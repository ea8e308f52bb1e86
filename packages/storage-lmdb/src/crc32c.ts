/**
 * CRC-32C (Castagnoli), the checksum etcd's WAL and ext4's metadata use: cheap, and it detects
 * every single-bit error and every burst of up to 32 bits. Stored with each record when written
 * and checked again when read (a paired assertion across the disk).
 */

const CASTAGNOLI_REVERSED = 0x82f63b78;

const TABLE = ((): Uint32Array => {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ CASTAGNOLI_REVERSED : crc >>> 1;
    table[byte] = crc >>> 0;
  }
  return table;
})();

/**
 * Extends a running CRC-32C with `bytes`. Start from 0; the result of one call is the `crc` of
 * the next, so `crc32c(b, crc32c(a))` equals the checksum of `a` followed by `b`.
 *
 * @example
 * crc32c(new TextEncoder().encode("123456789")); // 0xe3069283
 */
export function crc32c(bytes: Uint8Array, crc = 0): number {
  let state = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    // Indexing within bounds of a Uint32Array(256): `?? 0` only satisfies the type checker.
    state = ((TABLE[(state ^ (bytes[i] ?? 0)) & 0xff] ?? 0) ^ (state >>> 8)) >>> 0;
  }
  return ~state >>> 0;
}
