/**
 * The value encodings: every record round-trips, binary data comes back as a plain Uint8Array
 * that does not share memory with the stored bytes, and the stored values are plain msgpack any
 * msgpack library can read (no msgpackr records or extensions).
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Packr } from "msgpackr";
import type { Entry } from "@flotilla/raft";
import {
  decodeEntry,
  decodeHardState,
  decodeSnapshotMetadata,
  encodeEntry,
  encodeHardState,
  encodeSnapshotMetadata,
} from "../src/record-codec.js";
import { hardState, MEMBERS } from "./support/fixtures.js";

const entryArbitrary: fc.Arbitrary<Entry> = fc.oneof(
  fc.record({
    index: fc.nat({ max: 2 ** 40 }),
    term: fc.nat({ max: 2 ** 31 }),
    type: fc.constant("normal" as const),
    data: fc.uint8Array({ maxLength: 300 }),
  }),
  fc.record({ index: fc.nat(), term: fc.nat(), type: fc.constant("noop" as const) }),
  fc.record({
    index: fc.nat(),
    term: fc.nat(),
    type: fc.constant("config" as const),
    change: fc.constant({ kind: "leave-joint" as const }),
  }),
);

/** A generic reader: plain msgpack only (structures would need msgpackr's records). */
const generic = new Packr({ useRecords: false, mapsAsObjects: true });

describe("record codec", () => {
  it("round-trips every entry, its data as a fresh plain Uint8Array", () => {
    fc.assert(
      fc.property(entryArbitrary, (entry) => {
        const stored = encodeEntry(entry);
        const decoded = decodeEntry("g", entry.index, stored);
        expect(decoded).toEqual(entry);
        if (decoded.type === "normal") {
          expect(decoded.data.constructor).toBe(Uint8Array);
          expect(decoded.data.buffer).not.toBe(stored.buffer);
        }
      }),
    );
  });

  it("stores an entry as the plain msgpack array [term, type, payload, crc]", () => {
    const stored = encodeEntry({ index: 7, term: 3, type: "normal", data: new Uint8Array([1, 2]) });
    const value = generic.unpack(stored) as unknown[];
    expect(value.slice(0, 2)).toEqual([3, "normal"]);
    expect([...(value[2] as Uint8Array)]).toEqual([1, 2]);
    expect(typeof value[3]).toBe("number");
    // bin 8 (0xc4) for the data: no extension types.
    expect([...stored]).toContain(0xc4);
    expect([...stored]).not.toContain(0xd4);
  });

  it("round-trips hard states (an absent vote as nil) and snapshot metadata", () => {
    for (const hs of [hardState(0, undefined, 0), hardState(9, "b", 4)]) {
      expect(decodeHardState("g", encodeHardState(hs))).toEqual(hs);
    }
    const metadata = { index: 4, term: 2, membership: MEMBERS, dataBytes: 10, chunkCount: 1 };
    expect(decodeSnapshotMetadata("g", encodeSnapshotMetadata(metadata))).toEqual(metadata);
  });
});
