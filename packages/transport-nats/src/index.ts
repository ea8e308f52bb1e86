/**
 * @flotilla/transport-nats — the runtime's Transport over NATS, and the wire codec other
 * processes (clients, other languages) share. The public surface is this explicit list.
 */
export { NatsTransport } from "./nats-transport.js";
export type {
  NatsConnectOptions,
  NatsTransportOptions,
  TransportFaults,
} from "./nats-transport-options.js";
export type { NatsTransportStats } from "./nats-transport-stats.js";
export { raftSubjects, type RaftSubjects } from "./raft-subjects.js";
export {
  assembleBatch,
  batchOverheadBytes,
  cutIntoBatches,
  decodeBatch,
  encodeBatch,
  encodeGroupMessage,
} from "./batch-codec.js";
export {
  ChunkStatus,
  decodeChunkAck,
  decodeSnapshotChunk,
  encodeChunkAck,
  encodeSnapshotChunk,
  type ChunkAck,
  type SnapshotChunk,
} from "./snapshot-chunk-codec.js";
export { PROTOCOL_VERSION, MESSAGE_TYPE_CODES } from "./wire-protocol.js";
export { TransportErrorCode, WireFormatError, isWireFormatError } from "./wire-format-error.js";
