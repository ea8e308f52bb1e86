/**
 * The client messages (client-wire.ts): every decoder returns a checked message or throws a
 * `BadRequestError` — for garbage bytes, other msgpack values, another version or a mistyped
 * field — and never anything else, so a node answers bad input with a typed reply instead of
 * crashing a NATS callback. Well-formed messages round-trip.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BadRequestError, isBadRequestError } from "@flotilla/runtime";
import {
  CLIENT_PROTOCOL_VERSION,
  committedRange,
  decodeControlRequest,
  decodeEntriesRequest,
  decodeProposeRequest,
  decodeReadRequest,
  decodeReply,
  decodeWire,
  encodeWire,
  proposeOutcomes,
  wireError,
} from "../src/client-wire.js";

const decoders: readonly (readonly [string, (bytes: Uint8Array) => unknown])[] = [
  ["decodeProposeRequest", decodeProposeRequest],
  ["decodeReadRequest", decodeReadRequest],
  ["decodeControlRequest", decodeControlRequest],
  ["decodeReply", decodeReply],
  ["decodeEntriesRequest", decodeEntriesRequest],
];

/** Decoding returns, or throws a BadRequestError: anything else fails the property. */
function decodesOrRefuses(decode: (bytes: Uint8Array) => unknown, bytes: Uint8Array): void {
  try {
    decode(bytes);
  } catch (error) {
    if (!(error instanceof BadRequestError)) throw error;
    expect(isBadRequestError(error)).toBe(true);
  }
}

/** A map whose `v` is a map with its own `toString` key: the `it.fails` case below. */
function hitsVersionToStringBug(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const v: unknown = (value as Record<string, unknown>)["v"];
  return typeof v === "object" && v !== null && Object.hasOwn(v, "toString");
}

function refusal(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

/** Decoded bins are Node Buffers (a Uint8Array subclass): compare them as plain Uint8Arrays. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, plain(field)]));
  }
  return value;
}
const anyValue = fc.anything({ withTypedArray: true, withNullPrototype: false, maxDepth: 3 });
const validPropose = {
  v: 1,
  client: "c1",
  respondedTo: 0,
  commands: [{ seq: 1, command: bytes(0xa1, 0x78) }],
};

describe("client wire: round trips", () => {
  it("a propose request with several commands decodes to what was encoded", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
        fc.nat(),
        fc.array(
          fc.record({
            seq: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
            command: fc.uint8Array({ maxLength: 32 }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        (client, respondedTo, commands) => {
          const request = { v: CLIENT_PROTOCOL_VERSION, client, respondedTo, commands };
          expect(plain(decodeProposeRequest(encodeWire(request)))).toEqual(request);
        },
      ),
    );
  });

  it("a read request carries any msgpack query", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (query) => {
        const decoded = decodeReadRequest(encodeWire({ v: 1, query }));
        expect(decoded).toEqual({ v: 1, query: decodeWire(encodeWire(query)) });
      }),
    );
  });

  it("a control request keeps its op and arguments", () => {
    const request = { v: 1, op: "transfer-leader", groupId: "g1", to: "n2" };
    expect(decodeControlRequest(encodeWire(request))).toEqual(request);
  });

  it("an entries request defaults maxBytes to 256 KiB", () => {
    expect(decodeEntriesRequest(encodeWire({ v: 1, fromIndex: 5 }))).toEqual({
      fromIndex: 5,
      maxBytes: 256 * 1024,
    });
    expect(decodeEntriesRequest(encodeWire({ v: 1, fromIndex: 1, maxBytes: 10 }))).toEqual({
      fromIndex: 1,
      maxBytes: 10,
    });
  });

  it("a propose reply's outcomes come back in order, errors checked", () => {
    const reply = decodeReply(
      encodeWire({
        v: 1,
        results: [
          { ok: true, result: { n: 1 } },
          { ok: false, error: { code: "NOT_LEADER", message: "no", groupId: "g" } },
        ],
      }),
    );
    expect(proposeOutcomes(reply, 2)).toEqual([
      { ok: true, result: { n: 1 } },
      { ok: false, error: { code: "NOT_LEADER", message: "no", groupId: "g" } },
    ]);
  });

  it("a committed range round-trips", () => {
    const range = {
      after: 3,
      through: 6,
      events: [
        { type: "snapshot", index: 4, term: 2, data: bytes(1) },
        { type: "entry", index: 6, term: 2, data: bytes(2, 3) },
      ],
    };
    expect(plain(committedRange(decodeWire(encodeWire(range))))).toEqual(range);
  });

  it("encodes maps with string keys, readable by any msgpack library", () => {
    // map16 of 1 entry, fixstr "v", positive fixint 1.
    expect([...encodeWire({ v: 1 })]).toEqual([0xde, 0x00, 0x01, 0xa1, 0x76, 0x01]);
  });

  // BUG (client-wire.ts): msgpackr encodes `undefined` as fixext 1 type 0 (d4 00 00), a
  // msgpackr-only extension, so a reply `{ ok: true, result: undefined }` (a state machine that
  // returns nothing) is not plain msgpack. Fix: `encodeUndefinedAsNil: true` in the Packr options.
  it("encodes undefined as nil, not as a msgpackr extension", () => {
    expect([...encodeWire({ r: undefined })]).toEqual([0xde, 0x00, 0x01, 0xa1, 0x72, 0xc0]);
  });

  // BUG (client-wire.ts): msgpackr decodes the 64-bit integer encodings (0xcf uint64, 0xd3
  // int64) as BigInt, which every `isCount` check refuses — a client whose msgpack library
  // writes a uint64 field at full width (e.g. Go's vmihailenco/msgpack for `uint64`) gets
  // BAD_REQUEST for `v`, `seq` or `respondedTo`. Fix: `int64AsType: "auto"` in the Packr options
  // (a number when safe, BigInt above 2^53, which the checks still refuse).
  it("accepts a 64-bit integer encoding of a small integer", () => {
    const u64 = (n: number) => [0xcf, 0, 0, 0, 0, 0, 0, 0, n];
    // { v: 1, fromIndex: 7 } with both integers as uint64.
    const request = bytes(
      0x82,
      0xa1,
      0x76,
      ...u64(1),
      0xa9,
      ...new TextEncoder().encode("fromIndex"),
      ...u64(7),
    );
    expect(decodeEntriesRequest(request).fromIndex).toBe(7);
  });
});

// Found by fuzzing (issue 12): msgpackr decodes 0xc1, a byte the msgpack spec never uses, to a
// placeholder object, so `decodeWire` accepted it and a kv put could store it as a value.
describe("client wire: the never-used byte 0xc1", () => {
  it("is refused by decodeWire alone and anywhere inside a value", () => {
    for (const encoded of [
      bytes(0xc1),
      bytes(0x92, 0x01, 0xc1),
      bytes(0x81, 0xa1, 0x6b, 0xc1),
      bytes(0x91, 0x91, 0x91, 0xc1),
    ]) {
      expect(refusal(() => decodeWire(encoded))).toBeInstanceOf(BadRequestError);
    }
  });

  it("refuses a read request whose query holds it", () => {
    const request = new Uint8Array([...encodeWire({ v: 1, query: null })]);
    // The query's nil (0xc0) is the last byte: make it the never-used byte.
    request[request.length - 1] = 0xc1;
    expect(refusal(() => decodeReadRequest(request))).toBeInstanceOf(BadRequestError);
  });
});

describe("client wire: every decoder refuses bad input with BadRequestError only", () => {
  for (const [name, decode] of decoders) {
    describe(name, () => {
      it("refuses bytes that are not msgpack", () => {
        expect(refusal(() => decode(bytes(0xc1)))).toBeInstanceOf(BadRequestError);
        expect(refusal(() => decode(bytes()))).toBeInstanceOf(BadRequestError);
      });

      it("refuses trailing bytes after the message", () => {
        const framed = encodeWire(validPropose);
        const padded = new Uint8Array([...framed, 0x00]);
        expect(refusal(() => decode(padded))).toBeInstanceOf(BadRequestError);
      });

      it("refuses a message that is not a map", () => {
        for (const value of [[1, "c1", 0, []], 1, "v", null, true, bytes(1)]) {
          expect(refusal(() => decode(encodeWire(value)))).toBeInstanceOf(BadRequestError);
        }
      });

      it("refuses another protocol version, or none", () => {
        for (const v of [0, 2, "1", 1.5, null, undefined]) {
          const error = refusal(() => decode(encodeWire({ ...validPropose, v })));
          expect(error).toBeInstanceOf(BadRequestError);
        }
      });

      it("throws only BadRequestError for random bytes", () => {
        fc.assert(
          fc.property(fc.uint8Array({ maxLength: 64 }), (garbage) =>
            decodesOrRefuses(decode, garbage),
          ),
          { numRuns: 2000 },
        );
      });

      it("throws only BadRequestError for random msgpack values", () => {
        fc.assert(
          fc.property(anyValue, (value) => {
            // fast-check generates "toString" keys: that case is the known bug below.
            fc.pre(!hitsVersionToStringBug(value));
            decodesOrRefuses(decode, encodeWire(value));
          }),
          { numRuns: 500 },
        );
      });

      it("throws only BadRequestError for version-1 maps with random fields", () => {
        const fields = fc.record({
          client: anyValue,
          respondedTo: anyValue,
          commands: fc.oneof(
            anyValue,
            fc.array(fc.record({ seq: anyValue, command: anyValue }), { maxLength: 3 }),
          ),
          op: anyValue,
          query: anyValue,
          fromIndex: anyValue,
          maxBytes: anyValue,
        });
        fc.assert(
          fc.property(fields, (message) =>
            decodesOrRefuses(decode, encodeWire({ v: 1, ...message })),
          ),
          { numRuns: 500 },
        );
      });

      it("throws only BadRequestError for truncations of a valid message", () => {
        const valid = encodeWire({ ...validPropose, op: "status", fromIndex: 1, query: [1, 2] });
        for (let end = 0; end < valid.byteLength; end++) {
          decodesOrRefuses(decode, valid.subarray(0, end));
        }
      });

      // BUG (client-wire.ts `versioned`): the version error message uses `String(fields["v"])`,
      // which throws a TypeError ("Cannot convert object to primitive value") when `v` is a map
      // with a `toString` key holding a non-function — a node's NATS callback then sees a
      // TypeError instead of a BadRequestError. Fix: describe the value without calling its
      // methods, e.g. `typeof v === "object" ? "a " + (Array.isArray(v) ? "array" : "map") :
      // String(v)`, or JSON.stringify inside a try.
      it("refuses a version that is a map with a toString key", () => {
        const error = refusal(() => decode(encodeWire({ v: { toString: 1 } })));
        expect(error).toBeInstanceOf(BadRequestError);
      });
    });
  }
});

describe("client wire: field checks", () => {
  const propose = (fields: Record<string, unknown>): unknown =>
    refusal(() => decodeProposeRequest(encodeWire({ ...validPropose, ...fields })));

  it("a propose request needs a client id of [A-Za-z0-9_-]{1,64}", () => {
    for (const client of ["", "a.b", "x".repeat(65), 7, null]) {
      expect(propose({ client })).toBeInstanceOf(BadRequestError);
    }
    expect(propose({ client: "x".repeat(64) })).toBeUndefined();
  });

  it("a propose request needs respondedTo to be a non-negative integer", () => {
    for (const respondedTo of [-1, 1.5, "0", null]) {
      expect(propose({ respondedTo })).toBeInstanceOf(BadRequestError);
    }
  });

  it("a propose request needs a non-empty array of commands", () => {
    for (const commands of [[], {}, "x", null]) {
      expect(propose({ commands })).toBeInstanceOf(BadRequestError);
    }
  });

  it("every command needs seq >= 1 and binary command bytes", () => {
    for (const command of [
      { seq: 0, command: bytes(1) },
      { seq: 1.5, command: bytes(1) },
      { seq: 1, command: "text" },
      { seq: 1, command: [1, 2] },
      "not a map",
    ]) {
      expect(propose({ commands: [command] })).toBeInstanceOf(BadRequestError);
    }
  });

  it("a control request needs a string op", () => {
    expect(refusal(() => decodeControlRequest(encodeWire({ v: 1, op: 3 })))).toBeInstanceOf(
      BadRequestError,
    );
  });

  it("an entries request needs fromIndex >= 1 and an integer maxBytes", () => {
    for (const request of [
      { v: 1 },
      { v: 1, fromIndex: 0 },
      { v: 1, fromIndex: 1, maxBytes: -1 },
      { v: 1, fromIndex: 1, maxBytes: "1" },
    ]) {
      expect(refusal(() => decodeEntriesRequest(encodeWire(request)))).toBeInstanceOf(
        BadRequestError,
      );
    }
  });

  it("a propose reply must carry one outcome per command sent", () => {
    const reply = { v: 1, results: [{ ok: true, result: 1 }] };
    expect(refusal(() => proposeOutcomes(reply, 2))).toBeInstanceOf(BadRequestError);
    expect(refusal(() => proposeOutcomes({ v: 1 }, 1))).toBeInstanceOf(BadRequestError);
    expect(refusal(() => proposeOutcomes({ v: 1, results: [7] }, 1))).toBeInstanceOf(
      BadRequestError,
    );
  });

  it("an error object needs a string code and a string message", () => {
    for (const error of [null, "NOT_LEADER", { code: "NOT_LEADER" }, { code: 1, message: "m" }]) {
      expect(refusal(() => wireError(error))).toBeInstanceOf(BadRequestError);
    }
  });

  it("a committed range needs through >= after and well-typed events", () => {
    for (const range of [
      null,
      { after: 5, through: 4, events: [] },
      { after: 0, through: 1 },
      { after: 0, through: 1, events: [{ type: "noop", index: 1, term: 1, data: bytes() }] },
      { after: 0, through: 1, events: [{ type: "entry", index: 1, term: 1, data: "x" }] },
      { after: 0, through: 1, events: [null] },
    ]) {
      expect(refusal(() => committedRange(range))).toBeInstanceOf(BadRequestError);
    }
  });
});
