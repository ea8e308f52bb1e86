/**
 * The rows of the peer benchmark (issue 7): one per system, scenario, group count, in-flight
 * count, durability and round, with the fields the issue names (`system`, `scenario`, `groups`,
 * `inFlight`, `durability`, `opsPerSecond`, `latencyMs`, `cpuMsPer1kOps`, `rssMbMax`) and a few
 * that say how to read them. A row that could not run keeps its identity and says why.
 */
import type { ScenarioReport } from "../scenarios/scenario.js";
import type { LatencySummary } from "./latency-histogram.js";
import type { MachineInfo } from "./machine-info.js";

/** Bumped when a field changes meaning or is removed. */
export const PEER_SCHEMA_VERSION = 1;

/** Which configuration a row is. */
export interface PeerRowIdentity {
  readonly system: "flotilla" | "etcd" | "jetstream";
  /** Issue 7's scenario number: 1 one group, 2 many groups. */
  readonly scenario: number;
  readonly groups: number;
  readonly inFlight: number;
  readonly durability: "strict" | "relaxed";
  readonly round: number;
}

/** One measured configuration. */
export interface PeerRow extends PeerRowIdentity {
  readonly deployment: "multi-process";
  readonly valueBytes: number;
  readonly warmupMs: number;
  /** The window as the load generator measured it. */
  readonly windowMs: number | null;
  /** Writes acknowledged inside the window, per second. */
  readonly opsPerSecond: number | null;
  /** From the client's call to its acknowledgement, as the load generator saw it. */
  readonly latencyMs: LatencySummary | null;
  /** CPU (user + system) of the server processes per 1,000 acknowledged writes. */
  readonly cpuMsPer1kOps: number | null;
  /** Server CPU over the window in percent of one core (200 = both cores of this machine). */
  readonly cpuPercentOfOneCore: number | null;
  /** The largest summed resident set of the server processes sampled in the window, MB. */
  readonly rssMbMax: number | null;
  /** The largest resident set of one server process, MB. */
  readonly rssMbMaxPerProcess: number | null;
  /** The load generator's own CPU per 1,000 writes (not in `cpuMsPer1kOps`). */
  readonly clientCpuMsPer1kOps: number | null;
  readonly serverProcesses: number | null;
  readonly errors: Readonly<Record<string, number>>;
  /** How the client reached the system (leader, connections). */
  readonly detail: string | null;
  readonly status: "ok" | "failed" | "skipped";
  readonly error: string | null;
}

/** A result file of the peer benchmark. */
export interface PeerReport {
  readonly schemaVersion: number;
  readonly benchmark: string;
  readonly quick: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly command: string;
  readonly machine: MachineInfo;
  /** Versions of the peers measured. */
  readonly versions: Readonly<Record<string, string>>;
  readonly notes: readonly string[];
  readonly rows: readonly PeerRow[];
  /** Flotilla's own scenarios (3–7), when the run included them. */
  readonly scenarios?: readonly ScenarioReport[];
}

/** A row with no figures: the configuration could not be measured (`failed`) or had (`skipped`). */
export function unmeasuredRow(
  identity: PeerRowIdentity,
  base: { valueBytes: number; warmupMs: number },
  status: "failed" | "skipped",
  error: unknown,
): PeerRow {
  return {
    ...identity,
    deployment: "multi-process",
    ...base,
    windowMs: null,
    opsPerSecond: null,
    latencyMs: null,
    cpuMsPer1kOps: null,
    cpuPercentOfOneCore: null,
    rssMbMax: null,
    rssMbMaxPerProcess: null,
    clientCpuMsPer1kOps: null,
    serverProcesses: null,
    errors: {},
    detail: null,
    status,
    error: error instanceof Error ? error.message : String(error),
  };
}
