/**
 * CRC-32C against its published check value, and its chaining.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { crc32c } from "../src/index.js";

describe("crc32c", () => {
  it("gives the standard check value for '123456789' (0xe3069283)", () => {
    expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it("agrees with the bit-at-a-time definition on any input (the 8-byte slicing is exact)", () => {
    const bitwise = (bytes: Uint8Array): number => {
      let crc = 0xffffffff;
      for (const byte of bytes) {
        crc ^= byte;
        for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
      }
      return ~crc >>> 0;
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(crc32c(bytes)).toBe(bitwise(bytes));
      }),
    );
    // A published vector: 32 bytes of 0xff (RFC 3720, B.4).
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
  });

  it("chains: crc32c(b, crc32c(a)) is the checksum of a followed by b", () => {
    fc.assert(
      fc.property(fc.uint8Array(), fc.uint8Array(), (a, b) => {
        const joined = new Uint8Array(a.length + b.length);
        joined.set(a);
        joined.set(b, a.length);
        expect(crc32c(b, crc32c(a))).toBe(crc32c(joined));
      }),
    );
  });

  it("changes whenever one byte changes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (bytes, at, flip) => {
          const damaged = new Uint8Array(bytes);
          const i = at % bytes.length;
          damaged[i] = damaged[i]! ^ flip;
          expect(crc32c(damaged)).not.toBe(crc32c(bytes));
        },
      ),
    );
  });
});
