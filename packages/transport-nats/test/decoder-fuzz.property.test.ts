/**
 * Fuzzing the transport's decoders with structure (issue 12): well-shaped batches and chunks
 * with one field made negative, fractional, past 2^53 or of the wrong type, and AppendEntries
 * whose entries are placed anywhere. Each decodes to a message the core can take or throws
 * `WireFormatError`, nothing else. Runs per property: `FLOTILLA_FUZZ_RUNS` (default 1000).
 */
import fc from "fast-check";
import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { decodeBatch, decodeChunkAck, decodeSnapshotChunk, WireFormatError } from "../src/index.js";

const RUNS = Number(process.env["FLOTILLA_FUZZ_RUNS"] ?? 1_000);
const generic = new Packr({ useRecords: false, mapsAsObjects: true });

/**
 * Numbers no field may be: not a safe non-negative integer, so no index, term, count or code,
 * and not an id, a boolean, bytes or a list either. (Values of other wrong types may be right
 * for some field; the "nested garbage" property throws those.)
 */
const badField: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: -1 }),
  fc.double({ noInteger: true }),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 2 ** 53, 2 ** 64, -0.5),
);

const bytes = (n: number): Uint8Array => new Uint8Array(n);
/** One valid message of each wire layout, as arrays. */
const MESSAGES: readonly unknown[][] = [
  [1, "g", "n2", "n1", 3, 10, 2, false, false],
  [2, "g", "n2", "n1", 3, true, false, 9, 2],
  [
    3,
    "g",
    "n2",
    "n1",
    3,
    10,
    2,
    9,
    [
      [11, 3, 0, bytes(4)],
      [12, 3, 1],
    ],
  ],
  [4, "g", "n2", "n1", 3, true, 10, 0, 0],
  [5, "g", "n2", "n1", 3, 9, null, false],
  [6, "g", "n2", "n1", 3, null],
  [7, "g", "n2", "n1", 3, [10, 2, [["n1"], [], [], []], bytes(8)]],
  [8, "g", "n2", "n1", 3],
  [9, "g", "n2", "n1", 3, [bytes(2)]],
  [10, "g", "n2", "n1", 3, bytes(8)],
  [11, "g", "n2", "n1", 3, bytes(8), 7],
];
const CHUNK: unknown[] = [1, "n2", "t-1", 1, 2, 100, null, bytes(10)];
const ACK: unknown[] = [1, "t-1", 0, 1];

function decodesOrRejects(decode: (payload: Uint8Array) => unknown, payload: Uint8Array): void {
  try {
    decode(payload);
  } catch (error) {
    if (!(error instanceof WireFormatError)) throw error;
  }
}

function withField(array: readonly unknown[], at: number, value: unknown): unknown[] {
  const copy = [...array];
  copy[at % copy.length] = value;
  return copy;
}

describe("transport decoders under structured fuzzing", () => {
  it("a batch with one bad field in one message throws WireFormatError, naming it", () => {
    fc.assert(
      fc.property(fc.constantFrom(...MESSAGES), fc.nat(), badField, (message, at, value) => {
        const payload = generic.pack([1, "n2", [withField(message, at, value)]]);
        expect(() => decodeBatch(payload)).toThrow(WireFormatError);
      }),
      { numRuns: RUNS },
    );
  });

  it("a chunk or an ack with one bad field throws WireFormatError", () => {
    fc.assert(
      fc.property(fc.nat(), badField, (at, value) => {
        expect(() => decodeSnapshotChunk(generic.pack(withField(CHUNK, at, value)))).toThrow(
          WireFormatError,
        );
        decodesOrRejects(decodeChunkAck, generic.pack(withField(ACK, at, value)));
      }),
      { numRuns: RUNS },
    );
  });

  it("nested garbage anywhere in a batch throws only WireFormatError", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...MESSAGES),
        fc.nat(),
        fc.anything({ maxDepth: 3 }),
        (message, at, value) => {
          let payload: Uint8Array;
          try {
            payload = generic.pack([1, "n2", [withField(message, at, value)]]);
          } catch {
            return; // msgpackr cannot encode it: nothing to send
          }
          decodesOrRejects(decodeBatch, payload);
        },
      ),
      { numRuns: RUNS },
    );
  });

  // Found by this property (issue 12): entries placed anywhere decoded, and the core would
  // commit past a hole or trip an assertion that fail-stops the replica. Fixed in
  // message-codec.ts: AppendEntries's entries must follow prevLogIndex in non-decreasing terms.
  it("every AppendEntries that decodes has entries that follow prevLogIndex", () => {
    const entry = fc.tuple(fc.nat({ max: 30 }), fc.nat({ max: 6 }));
    fc.assert(
      fc.property(
        fc.nat({ max: 20 }),
        fc.nat({ max: 5 }),
        fc.nat({ max: 6 }),
        fc.array(entry, { maxLength: 5 }),
        (prevLogIndex, prevLogTerm, term, entries) => {
          const wire = entries.map(([index, entryTerm]) => [index, entryTerm, 1]);
          const payload = generic.pack([
            1,
            "n2",
            [[3, "g", "n2", "n1", term, prevLogIndex, prevLogTerm, 0, wire]],
          ]);
          let decoded;
          try {
            decoded = decodeBatch(payload).messages[0]?.message;
          } catch (error) {
            expect(error).toBeInstanceOf(WireFormatError);
            return;
          }
          if (decoded?.type !== "AppendEntries") throw new Error("not an AppendEntries");
          let previousTerm = prevLogTerm;
          decoded.entries.forEach((e, i) => {
            expect(e.index).toBe(prevLogIndex + 1 + i);
            expect(e.term).toBeGreaterThanOrEqual(previousTerm);
            expect(e.term).toBeLessThanOrEqual(term);
            previousTerm = e.term;
          });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("refuses an AppendEntries with a hole, a repeated index or a term past the message's", () => {
    const append = (entries: unknown[][]): Uint8Array =>
      generic.pack([1, "n2", [[3, "g", "n2", "n1", 3, 10, 2, 9, entries]]]);
    expect(() => decodeBatch(append([[12, 3, 1]]))).toThrow(/entries\[0\]\.index/);
    expect(() =>
      decodeBatch(
        append([
          [11, 3, 1],
          [11, 3, 1],
        ]),
      ),
    ).toThrow(/entries\[1\]\.index/);
    expect(() => decodeBatch(append([[11, 4, 1]]))).toThrow(/entries\[0\]\.term/);
    expect(() => decodeBatch(append([[11, 1, 1]]))).toThrow(/entries\[0\]\.term/);
    expect(() =>
      decodeBatch(
        append([
          [11, 3, 1],
          [12, 2, 1],
        ]),
      ),
    ).toThrow(/entries\[1\]\.term/);
    expect(
      decodeBatch(
        append([
          [11, 2, 1],
          [12, 3, 1],
        ]),
      ).messages,
    ).toHaveLength(1);
  });
});
