/**
 * The simulator's runtime mode (`npm run sim -- --runtime`): the same kind of seeded worlds,
 * faults and checkers, driving real FlotillaNode hosts instead of the bare core. This explicit
 * list is what tests use; the package index does not re-export it yet.
 */
export { BatchNetwork, type BatchEnvelope, type BatchNetworkStats } from "./batch-network.js";
export { CheckedKv, type KvApplyObserver, type ReplicaRef } from "./checked-kv.js";
export { CommittedStreamCheck } from "./committed-stream-check.js";
export { DriftingTime } from "./drifting-time.js";
export { FutureLedger, type FutureRecord } from "./future-ledger.js";
export { HostChecker, type CheckedCluster } from "./host-checker.js";
export {
  formatRuntimeReport,
  runRuntimeSeed,
  runRuntimeSeeds,
  runtimeReplayCommand,
  type RuntimeRunOptions,
  type RuntimeRunSummary,
  type RuntimeSeedOutcome,
} from "./run-runtime-seeds.js";
export { parseRuntimeCliArgs, RUNTIME_USAGE } from "./runtime-cli-args.js";
export { RuntimeCluster, SETTLE_TURNS_MAX, type StorageWrapper } from "./runtime-cluster.js";
export {
  addRuntimeCoverage,
  emptyRuntimeCoverage,
  formatRuntimeCoverage,
  type RuntimeCoverage,
} from "./runtime-coverage.js";
export {
  RuntimeSimulation,
  type RuntimeSimulationOptions,
  type RuntimeSimulationReport,
} from "./runtime-simulation.js";
export {
  chooseRuntimeWorld,
  formatRuntimeWorld,
  RUNTIME_DEFAULT_STEPS,
  type RuntimeWorld,
  type RuntimeWorldPins,
} from "./runtime-world.js";
export { SimDisk, type DiskOp } from "./sim-disk.js";
export { SimNodeStorage, UNSYNCED_OPS_MAX } from "./sim-node-storage.js";
export { SimTransport, type BatchInspector } from "./sim-transport.js";
