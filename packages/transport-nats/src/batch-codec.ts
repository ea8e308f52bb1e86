/**
 * A batch on the wire (docs/protocol.md, "Batch"): `[version, from, [message, …]]`. Messages are
 * encoded one by one and concatenated under a hand-written array header, so the sender knows
 * each message's exact size and cuts a send into payloads below the server's `max_payload`
 * without encoding anything twice. An empty message list is a valid batch (a liveness ping).
 */
import type { NodeId } from "@flotilla/raft";
import type { GroupMessage, RaftBatch } from "@flotilla/runtime";
import { messageFromWire, messageToWire } from "./message-codec.js";
import { packWire, unpackWire } from "./msgpack.js";
import { WireFormatError } from "./wire-format-error.js";
import { PROTOCOL_VERSION } from "./wire-protocol.js";
import { readArray, readNodeId, readTuple, readUint } from "./wire-reader.js";

/** Bytes of the largest msgpack array header (array 32). */
const ARRAY_HEADER_BYTES_MAX = 5;

/** One group message, encoded on its own (a batch's element). */
export function encodeGroupMessage({ groupId, message }: GroupMessage): Uint8Array {
  return packWire(messageToWire(groupId, message));
}

/** Bytes a batch from `from` adds around its messages, at most. */
export function batchOverheadBytes(from: NodeId): number {
  return 1 + 1 + packWire(from).byteLength + ARRAY_HEADER_BYTES_MAX;
}

/** The batch `[PROTOCOL_VERSION, from, [...encoded]]` from already encoded messages. */
export function assembleBatch(from: NodeId, encoded: readonly Uint8Array[]): Uint8Array {
  const fromBytes = packWire(from);
  const listHeader = arrayHeader(encoded.length);
  let length = 2 + fromBytes.byteLength + listHeader.byteLength;
  for (const part of encoded) length += part.byteLength;
  const out = new Uint8Array(length);
  out[0] = 0x93; // fixarray of 3
  out[1] = PROTOCOL_VERSION; // positive fixint
  let offset = 2;
  out.set(fromBytes, offset);
  offset += fromBytes.byteLength;
  out.set(listHeader, offset);
  offset += listHeader.byteLength;
  for (const part of encoded) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** A whole batch in one payload (no size limit applied). */
export function encodeBatch(batch: RaftBatch): Uint8Array {
  return assembleBatch(batch.from, batch.messages.map(encodeGroupMessage));
}

/**
 * Cuts encoded messages into as few batches as fit in `payloadBytesMax` each, in order. Every
 * message must fit alone (`byteLength + batchOverheadBytes(from) <= payloadBytesMax`); the
 * caller drops those that do not.
 */
export function cutIntoBatches(
  from: NodeId,
  encoded: readonly Uint8Array[],
  payloadBytesMax: number,
): Uint8Array[] {
  const budget = payloadBytesMax - batchOverheadBytes(from);
  const payloads: Uint8Array[] = [];
  let current: Uint8Array[] = [];
  let currentBytes = 0;
  for (const part of encoded) {
    if (current.length > 0 && currentBytes + part.byteLength > budget) {
      payloads.push(assembleBatch(from, current));
      current = [];
      currentBytes = 0;
    }
    current.push(part);
    currentBytes += part.byteLength;
  }
  if (current.length > 0) payloads.push(assembleBatch(from, current));
  return payloads;
}

/**
 * The batch `bytes` hold.
 *
 * @throws {WireFormatError} for anything but a valid batch of this protocol version.
 */
export function decodeBatch(bytes: Uint8Array): RaftBatch {
  const value = unpackWire(bytes);
  const [version, from, messages] = readTuple(value, 3, "batch");
  checkVersion(version, "batch.version");
  return {
    from: readNodeId(from, "batch.from"),
    messages: readArray(messages, "batch.messages").map((message, i) =>
      messageFromWire(message, `batch.messages[${i}]`),
    ),
  };
}

/** Throws unless `value` is this implementation's {@link PROTOCOL_VERSION}. */
export function checkVersion(value: unknown, path: string): void {
  const version = readUint(value, path);
  if (version !== PROTOCOL_VERSION) {
    throw new WireFormatError(path, `unsupported protocol version ${version}`);
  }
}

function arrayHeader(length: number): Uint8Array {
  if (length < 16) return Uint8Array.of(0x90 | length);
  if (length <= 0xffff) return Uint8Array.of(0xdc, length >>> 8, length & 0xff);
  return Uint8Array.of(
    0xdd,
    length >>> 24,
    (length >>> 16) & 0xff,
    (length >>> 8) & 0xff,
    length & 0xff,
  );
}
