/**
 * What the harness tells a load-generator process: which system to load (and how to reach it),
 * the closed loop's shape, and the phases' lengths; and what the generator reports back on
 * stdout, one JSON object per line. The generator is a separate process so that the servers'
 * CPU, read from `/proc`, never includes the load's own work.
 */
import type { LatencySummary } from "./latency-histogram.js";

/** A Flotilla cluster: nodes hosting the sharded set `shards-0 … shards-(groups-1)`. */
export interface FlotillaTarget {
  readonly system: "flotilla";
  readonly cluster: string;
  readonly natsUrl: string;
  readonly shards: string;
  readonly groups: number;
}

/** An etcd cluster: every member's client URL (the generator finds the leader). */
export interface EtcdTarget {
  readonly system: "etcd";
  readonly endpoints: readonly string[];
}

/** A JetStream cluster: every server, and the R3 streams (one per group) to publish to. */
export interface JetStreamTarget {
  readonly system: "jetstream";
  readonly servers: readonly { readonly name: string; readonly url: string }[];
  /** Stream `i` takes the subjects `<subjectPrefix>.>`. */
  readonly streams: readonly { readonly name: string; readonly subjectPrefix: string }[];
}

/** The system a load generator drives. */
export type LoadTarget = FlotillaTarget | EtcdTarget | JetStreamTarget;

/** The generator's one argument (JSON). */
export interface LoadPlan {
  readonly target: LoadTarget;
  /** Operations in flight (closed loop: each slot sends the next once the last resolves). */
  readonly inFlight: number;
  readonly valueBytes: number;
  /** Prefix of every key, unique per run, so keys never repeat across runs on one cluster. */
  readonly keyPrefix: string;
  /** Bound on the ready phase (connect, find leaders, one write per group). */
  readonly readyTimeoutMs: number;
  readonly warmupMs: number;
  readonly windowMs: number;
  /** Bound on waiting for the operations still in flight when the window closes. */
  readonly drainTimeoutMs: number;
}

/** What the generator measured, printed as its last stdout line. */
export interface LoadResult {
  readonly event: "result";
  /** Operations acknowledged inside the window. */
  readonly ops: number;
  /** The window as measured by the generator. */
  readonly windowMs: number;
  readonly latencyMs: LatencySummary;
  /** Failed operations in the window, by error name or code. */
  readonly errors: Readonly<Record<string, number>>;
  /** The generator's own CPU (user + system) over the window. */
  readonly clientCpuMs: number;
  /** How long the ready phase took. */
  readonly readyMs: number;
  /** What the generator chose (leader, connections), for the record. */
  readonly detail: string;
}

/** The lines a generator prints, in order: ready, window-start, window-end, result. */
export type LoadEvent =
  | { readonly event: "ready" }
  | { readonly event: "window-start" }
  | { readonly event: "window-end" }
  | LoadResult;
