/**
 * @flotilla/testkit — fixtures for integration tests: real nats-server processes on loopback,
 * alone or clustered, always stopped. The public surface is this explicit list.
 */
export {
  NatsServer,
  type NatsServerOptions,
  type NatsServerRestartOptions,
} from "./nats-server.js";
export { NatsCluster, type NatsClusterOptions } from "./nats-cluster.js";
export { DEBIAN_NATS_SERVER_PATH, findNatsServerBinary } from "./nats-server-binary.js";
export { isProcessAlive } from "./is-process-alive.js";
export { liveChildren } from "./process-reaper.js";
export { waitFor, type WaitForOptions } from "./wait-for.js";
export {
  NatsServerNotFoundError,
  NatsServerStartError,
  TestkitError,
  TestkitErrorCode,
  WaitTimeoutError,
} from "./testkit-errors.js";
