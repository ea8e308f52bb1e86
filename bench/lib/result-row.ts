/**
 * The shape of a benchmark result: one row per measured configuration, comparable across
 * systems (`system`: Flotilla now; etcd and JetStream peers later) and deployments (one process
 * now; a process per node later). Fields that do not apply to a row are `null`, never absent, so
 * every row has the same columns; system-specific counters live in their own nested objects.
 */
import type { LatencySummary } from "./latency-histogram.js";
import type { MachineInfo } from "./machine-info.js";

/** Bumped when a field changes meaning or is removed (adding fields does not bump it). */
export const RESULT_SCHEMA_VERSION = 1;

/** What a row measured. */
export const Scenario = {
  /** Closed-loop proposals, a fixed number in flight. */
  Load: "load",
  /** Groups with leaders and no proposals: what keeping them alive costs. */
  Idle: "idle",
} as const;
export type Scenario = (typeof Scenario)[keyof typeof Scenario];

/** Per-second rates of the runtime's own counters (`node.stats()`), summed over the nodes. */
export interface RuntimeRates {
  readonly roundsPerSecond: number;
  readonly storageWritesPerSecond: number;
  /** Batches carrying Raft messages. */
  readonly batchesSentPerSecond: number;
  readonly livenessPingsPerSecond: number;
  /**
   * Acknowledged proposals per storage write on one node (every node writes each entry once):
   * above 1 means group commit is batching proposals into shared fsyncs. Null when idle.
   */
  readonly proposalsPerStorageWrite: number | null;
  /** Replicas hosted on all nodes, and how many slept (quiescence) at the window's end. */
  readonly replicas: number;
  readonly quiescedReplicasAtEnd: number;
}

/** Per-second rates of what the nodes sent, counted by wrapping their transports. */
export interface TransportRates {
  /** Batches with at least one Raft message. */
  readonly batchesPerSecond: number;
  /** Raft messages (per-group traffic) inside them. */
  readonly messagesPerSecond: number;
  /** Batches with no message: node-level liveness pings. */
  readonly emptyBatchesPerSecond: number;
  /** Messages per non-empty batch: above 1 means sends are coalesced across groups. */
  readonly messagesPerBatch: number | null;
  /** Messages per second by type ("AppendEntries", "Heartbeat", …). */
  readonly messagesPerSecondByType: Readonly<Record<string, number>>;
  /** Entries per AppendEntries message: above 1 means proposals share appends. */
  readonly entriesPerAppend: number | null;
}

/** One measured configuration. */
export interface BenchRow {
  /** The system measured: "flotilla" here; peers ("etcd", "jetstream") join later. */
  readonly system: string;
  /** "in-process": every node in this one process; "multi-process" later. */
  readonly deployment: string;
  readonly scenario: Scenario;
  readonly nodes: number;
  readonly groups: number;
  /** Proposals in flight (closed loop); null when idle. */
  readonly inFlight: number | null;
  /** The storage's durability setting ("strict" waits for fdatasync, "relaxed" less). */
  readonly durability: string;
  readonly commandBytes: number | null;
  readonly warmupMs: number | null;
  /** The measurement window as actually measured. */
  readonly windowMs: number | null;
  /** Proposals acknowledged per second inside the window. */
  readonly opsPerSecond: number | null;
  /** From the `propose` call to its resolution, retries included. */
  readonly latencyMs: LatencySummary | null;
  /** Process CPU (every node, LMDB's threads included) per 1,000 acknowledged proposals. */
  readonly cpuMsPer1kOps: number | null;
  /** Process CPU over the window, in percent of one core. */
  readonly cpuPercentOfOneCore: number | null;
  /**
   * Fraction of the window the process's one event loop was busy (0–1): every in-process node
   * shares it, so near 1 the loop, not the disk, limits throughput.
   */
  readonly eventLoopUtilization: number | null;
  readonly rssMbStart: number | null;
  /** The largest resident set sampled in the window (the process's, all nodes). */
  readonly rssMbMax: number | null;
  /** Rejections in the window, by error code. */
  readonly errors: Readonly<Record<string, number>>;
  /** Attempts retried (at another leader, or after OVERLOADED) in the window. */
  readonly retries: number | null;
  /** Leader or term changes reported by any replica in the window (0 when stable). */
  readonly leadershipChanges: number | null;
  /** How long until every group had an agreed leader, from the cluster's start. */
  readonly electionMs: number | null;
  readonly runtime: RuntimeRates | null;
  readonly transport: TransportRates | null;
  readonly status: "ok" | "failed";
  /** Why the row failed (its figures are null then). */
  readonly error: string | null;
}

/** A result file: the machine, how the run was invoked, and its rows. */
export interface BenchReport {
  readonly schemaVersion: number;
  readonly benchmark: string;
  readonly quick: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly command: string;
  readonly machine: MachineInfo;
  /** Caveats the reader must know (one process, shared CPU, …). */
  readonly notes: readonly string[];
  readonly rows: readonly BenchRow[];
}

/** The fields that say which configuration a row is, before anything is measured. */
export type RowIdentity = Pick<
  BenchRow,
  | "system"
  | "deployment"
  | "scenario"
  | "nodes"
  | "groups"
  | "inFlight"
  | "durability"
  | "commandBytes"
  | "warmupMs"
>;

/** A row for a configuration whose run failed: its identity, the error, no figures. */
export function failedRow(identity: RowIdentity, error: unknown): BenchRow {
  return {
    ...identity,
    windowMs: null,
    opsPerSecond: null,
    latencyMs: null,
    cpuMsPer1kOps: null,
    cpuPercentOfOneCore: null,
    eventLoopUtilization: null,
    rssMbStart: null,
    rssMbMax: null,
    errors: {},
    retries: null,
    leadershipChanges: null,
    electionMs: null,
    runtime: null,
    transport: null,
    status: "failed",
    error: error instanceof Error ? error.message : String(error),
  };
}
