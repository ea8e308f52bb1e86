/**
 * The codec of groups hosted by the node process: commands are plain msgpack, as remote
 * clients send them (docs/protocol.md), so an entry's command bytes are exactly what the client
 * encoded and any language can read a committed stream.
 */
import { decodeWire, encodeWire } from "@flotilla/client";
import type { Codec } from "@flotilla/runtime";

/** Commands as plain msgpack. */
export const msgpackCodec: Codec<unknown> = {
  encode: (command) => encodeWire(command),
  decode: (bytes) => decodeWire(bytes),
};
