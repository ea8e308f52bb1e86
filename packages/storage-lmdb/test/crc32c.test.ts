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
