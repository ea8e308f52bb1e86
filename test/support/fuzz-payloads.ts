/**
 * fast-check generators of bad payloads for the fuzz tests (issue 12): random bytes, truncated
 * and mistyped msgpack, headers claiming huge lengths, numbers that are negative, fractional or
 * past 2^53, unknown ids, other protocol versions. Each payload is labelled for failure messages.
 * The generators never build a well-formed Raft message for a real group: Raft trusts its peers
 * (NATS permissions keep others off the subjects), so a forged valid message is not bad input.
 */
import fc from "fast-check";
import { encodeWire } from "@flotilla/client";

/** A payload and what kind of garbage it is. */
export interface LabelledPayload {
  readonly label: string;
  readonly bytes: Uint8Array;
}

/** msgpack headers that claim far more than follows them. */
const HUGE_HEADERS: readonly (readonly number[])[] = [
  [0xdd, 0xff, 0xff, 0xff, 0xff], // array32 of 4G elements
  [0xdf, 0xff, 0xff, 0xff, 0xff], // map32 of 4G pairs
  [0xc6, 0xff, 0xff, 0xff, 0xff], // bin32 of 4 GiB
  [0xdb, 0x7f, 0xff, 0xff, 0xff], // str32 of 2 GiB
  [0xc9, 0xff, 0xff, 0xff, 0xff, 0x01], // ext32 of 4 GiB
  [0xdc, 0xff, 0xff], // array16 of 65535 elements
];

/** Numbers no index, term, sequence or count may be. */
export const badNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: -1 }),
  fc.double({ noInteger: true, noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 2 ** 53, 2 ** 64, Number.MAX_VALUE, -0.5),
);

/** Values of the wrong type for any field. */
export const badValue: fc.Arbitrary<unknown> = fc.oneof(
  badNumber,
  fc.string({ maxLength: 8 }),
  fc.constantFrom(null, true, false, "", "nope", "n9", "*", "a.b", ">"),
  fc.uint8Array({ maxLength: 16 }),
  fc.array(fc.integer(), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 3 }),
);

/** msgpack of `value`, or random bytes when msgpackr cannot encode it. */
function encodedOr(value: unknown, fallback: Uint8Array): Uint8Array {
  try {
    return encodeWire(value);
  } catch {
    return fallback;
  }
}

/**
 * Bad payloads for a subject whose valid message is `valid` (a map or an array): everything in
 * the module's list, with `valid`'s fields or elements replaced one at a time.
 */
export function badPayload(valid: unknown): fc.Arbitrary<LabelledPayload> {
  const encoded = encodeWire(valid);
  const label = (name: string) => (bytes: Uint8Array) => ({ label: name, bytes });
  return fc.oneof(
    fc.uint8Array({ maxLength: 512 }).map(label("random bytes")),
    fc
      .integer({ min: 0, max: Math.max(0, encoded.byteLength - 1) })
      .map((n) => encoded.subarray(0, n))
      .map(label("truncated")),
    fc
      .tuple(fc.nat({ max: encoded.byteLength - 1 }), fc.integer({ min: 0, max: 255 }))
      .map(([at, byte]) => {
        const copy = Uint8Array.from(encoded);
        copy[at] = byte;
        return copy;
      })
      .map(label("one byte changed")),
    fc
      .tuple(fc.constantFrom(...HUGE_HEADERS), fc.uint8Array({ maxLength: 32 }))
      .map(([header, tail]) => new Uint8Array([...header, ...tail]))
      .map(label("huge length header")),
    fc
      .tuple(fc.uint8Array({ minLength: 1, maxLength: 8 }))
      .map(([tail]) => new Uint8Array([...encoded, ...tail]))
      .map(label("trailing bytes")),
    fc
      .tuple(fc.nat(), badValue)
      .map(([at, value]) => encodedOr(replaced(valid, at, value), encoded))
      .map(label("a field of a bad value")),
    fc
      .anything({ maxDepth: 3, maxKeys: 4 })
      .map((value) => encodedOr(value, encoded))
      .map(label("any msgpack value")),
    fc
      .integer({ min: 0, max: 1000 })
      .filter((version) => version !== 1)
      .map((version) => encodedOr(replaced(valid, 0, version, "v"), encoded))
      .map(label("another protocol version")),
  );
}

/**
 * `valid` with one field (a map key, by position or `key`) or element replaced by `value`.
 */
export function replaced(valid: unknown, at: number, value: unknown, key?: string): unknown {
  if (Array.isArray(valid)) {
    const copy: unknown[] = [...(valid as unknown[])];
    copy[at % Math.max(1, copy.length)] = value;
    return copy;
  }
  const fields = { ...(valid as Record<string, unknown>) };
  const keys = Object.keys(fields);
  const name = key ?? keys[at % Math.max(1, keys.length)] ?? "v";
  fields[name] = value;
  return fields;
}
