/**
 * @flotilla/client — proposals, linearizable reads and sharded routing over NATS, from any
 * process. The public surface is this explicit list.
 */
export { FlotillaClient, type ClientOptions, type ShardedSet } from "./flotilla-client.js";
export { RemoteGroup, type RemoteRequestOptions } from "./remote-group.js";
export { isClosedConnectionError } from "./client-lifecycle.js";
export type { RemoteCommittedOptions } from "./remote-committed-stream.js";
export { ClientSubjects, checkId } from "./client-subjects.js";
export { fnv1a32, shardFor } from "./shard-router.js";
export {
  CLIENT_PROTOCOL_VERSION,
  committedRange,
  decodeControlRequest,
  decodeEntriesRequest,
  decodeProposeRequest,
  decodeReadRequest,
  decodeReply,
  decodeWire,
  encodeWire,
  type CommittedRange,
  type ControlRequest,
  type WireCommittedEvent,
  type ProposeReply,
  type ProposeRequest,
  type ReadRequest,
  type Reply,
  type WireCommand,
  type WireOutcome,
} from "./client-wire.js";
export { errorFromWire, errorToWire, type WireError } from "./wire-errors.js";
