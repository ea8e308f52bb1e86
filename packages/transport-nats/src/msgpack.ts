/**
 * The wire's msgpack: plain msgpack that any language's library reads. No msgpackr records or
 * other extensions (`useRecords: false`; `undefined` never reaches the packer), Uint8Array as
 * `bin`, and integers past 32 bits written as int64 rather than float64, so they stay integers
 * for every reader. Decoding copies every `bin` out of the message buffer (no aliasing of NATS's
 * buffers) and turns any failure into a {@link WireFormatError}.
 */
import { Packr, Unpackr } from "msgpackr";
import { WireFormatError } from "./wire-format-error.js";

const packr = new Packr({
  useRecords: false,
  encodeUndefinedAsNil: true,
  variableMapSize: true,
});

const unpackr = new Unpackr({
  useRecords: false,
  mapsAsObjects: true,
  int64AsType: "number",
});

/** msgpack bytes of `value` (arrays, strings, numbers, booleans, null, Uint8Array only). */
export function packWire(value: unknown): Uint8Array {
  return packr.pack(value);
}

/**
 * The one value `bytes` hold. Trailing bytes, truncation, and anything msgpackr rejects raise a
 * {@link WireFormatError}.
 */
export function unpackWire(bytes: Uint8Array): unknown {
  if (bytes.byteLength === 0) throw new WireFormatError("", "empty payload");
  try {
    return unpackr.unpack(bytes);
  } catch (error) {
    throw new WireFormatError("", `not msgpack: ${describe(error)}`, { cause: error });
  }
}

/**
 * An integer for the wire: past 32 bits as a bigint, which msgpackr writes as int64 (msgpackr
 * writes such numbers as float64 otherwise).
 */
export function wireUint(value: number): number | bigint {
  return value > 0xffff_ffff ? BigInt(value) : value;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 200) : String(error);
}
