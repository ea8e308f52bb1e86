/**
 * @flotilla/sim — the deterministic simulator (TigerBeetle's VOPR, for Raft): seeded worlds,
 * fault injection, safety and liveness checkers, and a linearizability check of client
 * histories. Private: only tests and the `npm run sim` command use it. The public surface is
 * this explicit list.
 */
export { parseCliArgs, UsageError, USAGE } from "./cli-args.js";
export { Cluster, FOUNDING_VOTERS } from "./cluster.js";
export { addCoverage, emptyCoverage, formatCoverage, type Coverage } from "./coverage.js";
export { bytesDigest, entryDigest } from "./entry-digest.js";
export { FaultInjector, voterFloor } from "./fault-injector.js";
export {
  decodeKvCommand,
  encodeKvCommand,
  type KvCommand,
  type KvWrite,
  type KvWriteOutput,
} from "./kv-command.js";
export {
  KV_SESSIONS_MAX,
  KvStateMachine,
  type KvApplied,
  type KvSession,
} from "./kv-state-machine.js";
export {
  BUDGET_MS_PER_KEY_DEFAULT,
  checkHistory,
  type CheckHistoryOptions,
  type HistoryCheckResult,
} from "./linearizability/check-history.js";
export type { CheckedRecord } from "./linearizability/checked-record.js";
export type {
  AppendRecord,
  CasRecord,
  GetRecord,
  HistoryRecord,
  HistoryTime,
  JsonValue,
  PutRecord,
  ReadListRecord,
} from "./linearizability/history-record.js";
export { HistoryVerdict } from "./linearizability/key-verdict.js";
export {
  checkKvHistory,
  type CheckKvHistoryOptions,
  type LinearizabilityResult,
} from "./linearizability/kv-history.js";
export {
  isMalformedHistoryError,
  MalformedHistoryError,
} from "./linearizability/malformed-history-error.js";
export { parseHistory } from "./linearizability/parse-history.js";
export type {
  HistoryOperation,
  KvOperation,
  KvOutput,
} from "./linearizability/history-operation.js";
export { LivenessCheck } from "./liveness-check.js";
export {
  CALM_NETWORK,
  Network,
  type Envelope,
  type NetworkFaults,
  type NetworkOptions,
  type NetworkStats,
} from "./network.js";
export { NodeClock } from "./node-clock.js";
export {
  READY_ROUNDS_MAX,
  ReplicaHost,
  type ReplicaHostOptions,
  type ReplicaObserver,
} from "./replica-host.js";
export {
  replayCommand,
  runSeed,
  runSeeds,
  type RunOptions,
  type RunSummary,
  type SeedOutcome,
} from "./run-seeds.js";
export { SafetyChecker, type NewLeader } from "./safety-checker.js";
export { SimClient, type ClientTiming, type ClientView } from "./sim-client.js";
export { SimNode, type ReplicaFactory } from "./sim-node.js";
export { SimStorage, UNSYNCED_WRITES_MAX } from "./sim-storage.js";
export {
  HISTORY_STATES_PER_KEY_MAX,
  NETWORK_IN_FLIGHT_MAX,
  Simulation,
  type SimulationReport,
} from "./simulation.js";
export { expectInvariant, Violation } from "./violation.js";
export {
  chooseWorld,
  DEFAULT_STEPS,
  delayStepsLimit,
  formatWorld,
  type World,
  type WorldPins,
} from "./world.js";
