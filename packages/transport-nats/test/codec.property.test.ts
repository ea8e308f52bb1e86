/**
 * The wire codec: every Raft message type round-trips through a batch and through a snapshot
 * chunk's header, batches are plain msgpack a generic reader can read, a send is cut into
 * batches below a byte bound without losing or reordering a message, and whatever bytes arrive —
 * garbage, truncated, mistyped — decoding throws only a WireFormatError.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Packr } from "msgpackr";
import { MESSAGE_TYPES, nodeId } from "@flotilla/raft";
import {
  PROTOCOL_VERSION,
  WireFormatError,
  cutIntoBatches,
  decodeBatch,
  decodeChunkAck,
  decodeSnapshotChunk,
  encodeBatch,
  encodeChunkAck,
  encodeGroupMessage,
  encodeSnapshotChunk,
  isWireFormatError,
} from "../src/index.js";
import {
  batchArbitrary,
  groupMessageArbitrary,
  messageArbitraries,
  oneOfEachMessage,
} from "./support/arbitraries.js";

/** A generic msgpack reader (no msgpackr records or extensions). */
const generic = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: "number" });

/** Decoding must return or throw a WireFormatError: anything else fails the property. */
function decodesOrRejects(decode: (bytes: Uint8Array) => unknown, bytes: Uint8Array): void {
  try {
    decode(bytes);
  } catch (error) {
    if (!(error instanceof WireFormatError)) throw error;
    expect(isWireFormatError(error)).toBe(true);
  }
}

describe("batch codec", () => {
  it.each(MESSAGE_TYPES)("round-trips every %s (fast-check)", (type) => {
    fc.assert(
      fc.property(
        messageArbitraries[type],
        fc.constantFrom("g1", "orders-7"),
        (message, groupId) => {
          const batch = { from: nodeId("n1"), messages: [{ groupId, message }] };
          expect(decodeBatch(encodeBatch(batch))).toEqual(batch);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("round-trips whole batches, empty ones included (fast-check)", () => {
    fc.assert(
      fc.property(batchArbitrary, (batch) => {
        expect(decodeBatch(encodeBatch(batch))).toEqual(batch);
      }),
      { numRuns: 300 },
    );
  });

  it("decodes bytes as fresh plain Uint8Arrays that share nothing with the payload", () => {
    const payload = encodeBatch({
      from: nodeId("n1"),
      messages: oneOfEachMessage().map((message) => ({ groupId: "g", message })),
    });
    const decoded = decodeBatch(payload);
    const append = decoded.messages.find((m) => m.message.type === "AppendEntries")!.message;
    if (append.type !== "AppendEntries" || append.entries[0]?.type !== "normal")
      throw new Error("shape");
    expect(append.entries[0].data.constructor).toBe(Uint8Array);
    expect(append.entries[0].data.buffer).not.toBe(payload.buffer);
  });

  it("writes plain msgpack: [version, from, [[typeCode, groupId, from, to, term, …]]]", () => {
    const payload = encodeBatch({
      from: nodeId("n1"),
      messages: [
        {
          groupId: "g7",
          message: { type: "TimeoutNow", from: nodeId("n1"), to: nodeId("n2"), term: 2 ** 40 },
        },
      ],
    });
    expect(generic.unpack(payload)).toEqual([
      PROTOCOL_VERSION,
      "n1",
      [[8, "g7", "n1", "n2", 2 ** 40]],
    ]);
    // The large term is an int64 (0xd3), not a float64 (0xcb): every reader sees an integer.
    expect(Buffer.from(payload).toString("hex")).toContain("d30000010000000000");
  });

  it("cuts a send into batches within the bound, keeping every message in order", () => {
    fc.assert(
      fc.property(
        fc.array(groupMessageArbitrary, { maxLength: 60 }),
        fc.integer({ min: 5_000, max: 20_000 }),
        (messages, bound) => {
          const encoded = messages
            .map(encodeGroupMessage)
            .filter((bytes) => bytes.byteLength < bound - 100);
          const payloads = cutIntoBatches(nodeId("n1"), encoded, bound);
          for (const payload of payloads) expect(payload.byteLength).toBeLessThanOrEqual(bound);
          const roundTripped = payloads.flatMap((payload) => decodeBatch(payload).messages);
          expect(roundTripped.map(encodeGroupMessage)).toEqual(encoded);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("snapshot chunk codec", () => {
  it("round-trips chunks and their InstallSnapshot header", () => {
    const header = oneOfEachMessage(new Uint8Array()).find((m) => m.type === "InstallSnapshot");
    if (header?.type !== "InstallSnapshot") throw new Error("no InstallSnapshot example");
    const first = {
      from: nodeId("n1"),
      transferId: "t-1",
      seq: 0,
      chunkCount: 3,
      totalBytes: 10,
      header: { groupId: "g1", message: header },
      data: new Uint8Array([1, 2, 3, 4]),
    };
    expect(decodeSnapshotChunk(encodeSnapshotChunk(first))).toEqual(first);
    const later = { ...first, seq: 2, header: undefined, data: new Uint8Array([9]) };
    expect(decodeSnapshotChunk(encodeSnapshotChunk(later))).toEqual(later);
    const ack = { transferId: "t-1", status: 0 as const, nextSeq: 3 };
    expect(decodeChunkAck(encodeChunkAck(ack))).toEqual(ack);
  });

  it("rejects a header on a later chunk, a missing one on chunk 0, and seq past the count", () => {
    const bad = (value: unknown[]): Uint8Array => generic.pack(value);
    const timeoutNow = [8, "g", "n1", "n2", 1];
    expect(() => decodeSnapshotChunk(bad([1, "n1", "t", 0, 1, 0, null, new Uint8Array()]))).toThrow(
      WireFormatError,
    );
    expect(() =>
      decodeSnapshotChunk(bad([1, "n1", "t", 1, 2, 0, timeoutNow, new Uint8Array()])),
    ).toThrow(/only chunk 0/);
    expect(() =>
      decodeSnapshotChunk(bad([1, "n1", "t", 0, 1, 0, timeoutNow, new Uint8Array()])),
    ).toThrow(/expected InstallSnapshot/);
    expect(() => decodeSnapshotChunk(bad([1, "n1", "t", 2, 2, 0, null, new Uint8Array()]))).toThrow(
      /chunk 2 of 2/,
    );
  });
});

describe("bad input", () => {
  const valid = encodeBatch({
    from: nodeId("n1"),
    messages: oneOfEachMessage().map((message) => ({ groupId: "g", message })),
  });

  it("rejects every truncation of a valid batch with a WireFormatError", () => {
    for (let length = 0; length < valid.byteLength; length++) {
      expect(() => decodeBatch(valid.subarray(0, length))).toThrow(WireFormatError);
    }
  });

  it("throws only WireFormatError on random bytes and on mutated batches (fast-check)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        decodesOrRejects(decodeBatch, bytes);
        decodesOrRejects(decodeSnapshotChunk, bytes);
        decodesOrRejects(decodeChunkAck, bytes);
      }),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(
        fc.nat({ max: valid.byteLength - 1 }),
        fc.integer({ min: 0, max: 255 }),
        (at, byte) => {
          const mutated = Uint8Array.from(valid);
          mutated[at] = byte;
          decodesOrRejects(decodeBatch, mutated);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("rejects well-formed msgpack of the wrong shape, naming the field", () => {
    const reject = (value: unknown, pattern: RegExp): void => {
      expect(() => decodeBatch(generic.pack(value))).toThrow(pattern);
    };
    reject({ v: 1 }, /expected an array/);
    reject([2, "n1", []], /unsupported protocol version 2/);
    reject([1, "bad id!", []], /batch\.from/);
    reject([1, "n1", [[99, "g", "n1", "n2", 1]]], /unknown message type 99/);
    reject([1, "n1", [[8, "g", "n1", "n2", -1]]], /term/);
    reject([1, "n1", [[8, "g", "n1", "n2", 1.5]]], /term/);
    reject([1, "n1", [[8, "g", "n1", "n2", 1, "extra"]]], /expected 5 elements/);
    reject([1, "n1", [[1, "g", "n1", "n2", 1, 1, 1, "yes", false]]], /preVote: expected a boolean/);
    reject([1, "n1", [[3, "g", "n1", "n2", 1, 0, 0, 0, [[1, 1, 7]]]]], /unknown entry kind 7/);
    reject(
      [1, "n1", [[3, "g", "n1", "n2", 1, 0, 0, 0, [[1, 1, 0, "text"]]]]],
      /data: expected bytes/,
    );
    reject([1, "n1", [[6, "g", "n1", "n2", 1, new Date(0)]]], /context/);
    reject([1, "n1", [[8, "g", "n1", "n2", 2 ** 53 + 2]]], /term/);
  });
});
