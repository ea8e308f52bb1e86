/**
 * flotilla — what users install: the node runtime, the remote client, the node process and the
 * CLI. The public surface is this explicit list.
 */
export {
  FlotillaNode,
  InMemoryNetwork,
  ManualClock,
  SystemClock,
  jsonCodec,
  bytesCodec,
  type FlotillaNodeOptions,
  type Group,
  type StateMachine,
} from "@flotilla/runtime";
export {
  FlotillaClient,
  isClosedConnectionError,
  type ClientOptions,
  type ShardedSet,
} from "@flotilla/client";
export { startNodeProcess, type RunningNode } from "./node-process.js";
export { parseNodeConfig, type NodeProcessConfig, type GroupSpec } from "./node-config.js";
export { KvStateMachine } from "./kinds/kv-state-machine.js";
export { LogStateMachine } from "./kinds/log-state-machine.js";
export {
  BUILT_IN_KINDS,
  loadKinds,
  type StateMachineFactory,
} from "./kinds/state-machine-kinds.js";
export { msgpackCodec } from "./msgpack-codec.js";
export {
  loadCompanions,
  type LeaderCompanion,
  type LeaderCompanionContext,
} from "./leader-companion.js";
export {
  ChaosTransport,
  type ChaosTransportOptions,
  type ChaosTransportStats,
  type FaultRule,
} from "./chaos-transport.js";

import { FlotillaClient, type ClientOptions } from "@flotilla/client";

/**
 * The entry point of DESIGN.md's sketch: `Flotilla.connect({ nats, cluster })`.
 *
 * @example
 * const client = await Flotilla.connect({ cluster: "demo", nats: { servers: "127.0.0.1:4222" } });
 */
export const Flotilla = {
  connect: (options: ClientOptions): Promise<FlotillaClient> => FlotillaClient.connect(options),
} as const;
