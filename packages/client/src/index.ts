/**
 * @flotilla/client — proposals, linearizable reads and sharded routing over NATS, from any
 * process. The public surface is this explicit list.
 */
export { FlotillaClient, type ClientOptions, type ShardedSet } from "./flotilla-client.js";
export { RemoteGroup, type RemoteRequestOptions } from "./remote-group.js";
export { ClientSubjects, checkId } from "./client-subjects.js";
export { fnv1a32, shardFor } from "./shard-router.js";
export {
  CLIENT_PROTOCOL_VERSION,
  decodeControlRequest,
  decodeProposeRequest,
  decodeReadRequest,
  decodeReply,
  decodeWire,
  encodeWire,
  type ControlRequest,
  type ProposeReply,
  type ProposeRequest,
  type ReadRequest,
  type Reply,
  type WireCommand,
  type WireOutcome,
} from "./client-wire.js";
export { errorFromWire, errorToWire, type WireError } from "./wire-errors.js";
