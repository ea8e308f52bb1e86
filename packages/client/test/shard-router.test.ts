/**
 * Routing by key (shard-router.ts): 32-bit FNV-1a over the key's UTF-8 bytes, modulo the
 * number of groups. Other languages must route the same way, so the hash is pinned by the
 * published test vectors (docs/protocol.md).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fnv1a32, shardFor } from "../src/shard-router.js";

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe("fnv1a32", () => {
  it('hashes "" to the offset basis 0x811c9dc5', () => {
    expect(fnv1a32(utf8(""))).toBe(0x811c9dc5);
  });

  it('hashes "a" to 0xe40c292c', () => {
    expect(fnv1a32(utf8("a"))).toBe(0xe40c292c);
  });

  it('hashes "foobar" to 0xbf9cf968', () => {
    expect(fnv1a32(utf8("foobar"))).toBe(0xbf9cf968);
  });

  it("hashes the UTF-8 bytes of a key, not its UTF-16 code units", () => {
    // "é" is c3 a9 in UTF-8: the same hash as those two bytes.
    expect(fnv1a32(utf8("é"))).toBe(fnv1a32(new Uint8Array([0xc3, 0xa9])));
  });

  it("always returns an unsigned 32-bit integer", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const hash = fnv1a32(bytes);
        expect(Number.isInteger(hash) && hash >= 0 && hash <= 0xffffffff).toBe(true);
      }),
    );
  });
});

describe("shardFor", () => {
  it("names the group <name>-<fnv1a32(key) mod count>", () => {
    expect(shardFor("kv", 64, "foobar")).toBe(`kv-${0xbf9cf968 % 64}`);
    expect(shardFor("kv", 1, "anything")).toBe("kv-0");
  });

  it("refuses a count that is not a positive integer", () => {
    for (const count of [0, -1, 1.5, Number.NaN]) {
      expect(() => shardFor("kv", count, "k")).toThrow(RangeError);
    }
  });

  it("spreads 10,000 keys over 64 shards roughly evenly", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const group = shardFor("kv", 64, `user:${i}`);
      counts.set(group, (counts.get(group) ?? 0) + 1);
    }
    expect(counts.size).toBe(64);
    // 156 keys per shard on average; a fair hash stays well inside ±40 %.
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(156 * 0.6);
      expect(count).toBeLessThan(156 * 1.4);
    }
  });
});
