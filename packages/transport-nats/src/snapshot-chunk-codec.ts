/**
 * Snapshot chunks on the wire (docs/protocol.md, "Snapshot chunks"). A large InstallSnapshot
 * travels as a transfer: chunk 0 carries the message with empty snapshot data (the header), every
 * chunk carries a slice of the data, and the receiver answers each chunk with the next chunk it
 * needs, so a lost chunk or answer is resent and a transfer resumes where it stopped.
 */
import type { InstallSnapshot, NodeId } from "@flotilla/raft";
import { checkVersion } from "./batch-codec.js";
import { messageFromWire, messageToWire } from "./message-codec.js";
import { packWire, unpackWire, wireUint } from "./msgpack.js";
import { WireFormatError } from "./wire-format-error.js";
import { PROTOCOL_VERSION } from "./wire-protocol.js";
import { readBytes, readId, readNodeId, readTuple, readUint } from "./wire-reader.js";

/** One chunk of a snapshot transfer. */
export interface SnapshotChunk {
  readonly from: NodeId;
  /** Names the transfer; unique per sender (an id: `[A-Za-z0-9_-]{1,64}`). */
  readonly transferId: string;
  /** 0-based position of this chunk. */
  readonly seq: number;
  /** Chunks in the transfer (at least 1). */
  readonly chunkCount: number;
  /** Bytes of snapshot data in the whole transfer. */
  readonly totalBytes: number;
  /** Chunk 0 only: the group and the InstallSnapshot with empty `snapshot.data`. */
  readonly header: { readonly groupId: string; readonly message: InstallSnapshot } | undefined;
  /** This chunk's slice of the snapshot data. */
  readonly data: Uint8Array;
}

/** What the receiver answers to each chunk. */
export const ChunkStatus = {
  /** Carry on from `nextSeq` (equal to `chunkCount` once the transfer is complete). */
  Continue: 0,
  /** The receiver will not take this transfer (too large, too many at once): give up. */
  Refused: 1,
} as const;
export type ChunkStatus = (typeof ChunkStatus)[keyof typeof ChunkStatus];

/** The receiver's answer to a chunk. */
export interface ChunkAck {
  readonly transferId: string;
  readonly status: ChunkStatus;
  /** The chunk the receiver needs next. */
  readonly nextSeq: number;
}

/** `[version, from, transferId, seq, chunkCount, totalBytes, header | nil, data]`. */
export function encodeSnapshotChunk(chunk: SnapshotChunk): Uint8Array {
  return packWire([
    PROTOCOL_VERSION,
    chunk.from,
    chunk.transferId,
    wireUint(chunk.seq),
    wireUint(chunk.chunkCount),
    wireUint(chunk.totalBytes),
    chunk.header === undefined ? null : messageToWire(chunk.header.groupId, chunk.header.message),
    chunk.data,
  ]);
}

/**
 * The chunk `bytes` hold.
 *
 * @throws {WireFormatError} for anything but a valid chunk (a header that is not an
 *   InstallSnapshot, a header on a chunk other than 0, `seq >= chunkCount`, …).
 */
export function decodeSnapshotChunk(bytes: Uint8Array): SnapshotChunk {
  const fields = readTuple(unpackWire(bytes), 8, "chunk");
  checkVersion(fields[0], "chunk.version");
  const seq = readUint(fields[3], "chunk.seq");
  const chunkCount = readUint(fields[4], "chunk.chunkCount");
  if (chunkCount < 1 || seq >= chunkCount) {
    throw new WireFormatError("chunk.seq", `chunk ${seq} of ${chunkCount}`);
  }
  let header: SnapshotChunk["header"];
  if (fields[6] !== null) {
    if (seq !== 0) throw new WireFormatError("chunk.header", "only chunk 0 carries the header");
    const decoded = messageFromWire(fields[6], "chunk.header");
    if (decoded.message.type !== "InstallSnapshot") {
      throw new WireFormatError(
        "chunk.header",
        `expected InstallSnapshot, got ${decoded.message.type}`,
      );
    }
    header = { groupId: decoded.groupId, message: decoded.message };
  } else if (seq === 0) {
    throw new WireFormatError("chunk.header", "chunk 0 carries the header");
  }
  return {
    from: readNodeId(fields[1], "chunk.from"),
    transferId: readId(fields[2], "chunk.transferId"),
    seq,
    chunkCount,
    totalBytes: readUint(fields[5], "chunk.totalBytes"),
    header,
    data: readBytes(fields[7], "chunk.data"),
  };
}

/** `[version, transferId, status, nextSeq]`. */
export function encodeChunkAck(ack: ChunkAck): Uint8Array {
  return packWire([PROTOCOL_VERSION, ack.transferId, ack.status, wireUint(ack.nextSeq)]);
}

/** The answer `bytes` hold. @throws {WireFormatError} otherwise. */
export function decodeChunkAck(bytes: Uint8Array): ChunkAck {
  const fields = readTuple(unpackWire(bytes), 4, "ack");
  checkVersion(fields[0], "ack.version");
  const status = readUint(fields[2], "ack.status");
  if (status !== ChunkStatus.Continue && status !== ChunkStatus.Refused) {
    throw new WireFormatError("ack.status", `unknown status ${status}`);
  }
  return {
    transferId: readId(fields[1], "ack.transferId"),
    status,
    nextSeq: readUint(fields[3], "ack.nextSeq"),
  };
}
