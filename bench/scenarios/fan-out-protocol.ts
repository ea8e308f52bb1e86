/**
 * What the fan-out scenario (issue 7, scenario 6) tells its two client processes, and what they
 * print back on stdout, one JSON object per line. Both processes write one record per entry to
 * a file (`key<TAB>ms`, wall time in milliseconds as `performance.timeOrigin +
 * performance.now()`, the same machine clock in both), which the scenario joins by key after
 * both have ended: per-key records are far too many for a pipe of JSON lines to carry cheaply.
 */
import type { LatencySummary } from "../lib/latency-histogram.js";

/** The cluster both processes reach. */
export interface FanOutTarget {
  readonly cluster: string;
  readonly natsUrl: string;
  /** The sharded set `<shards>-0 … <shards>-(groups-1)`. */
  readonly shards: string;
  readonly groups: number;
}

/** The writer's one argument (JSON). */
export interface FanOutWriterPlan {
  readonly target: FanOutTarget;
  readonly inFlight: number;
  readonly valueBytes: number;
  /** Prefix of every key, so the subscriber can tell the writer's entries from anything else. */
  readonly keyPrefix: string;
  readonly readyTimeoutMs: number;
  readonly warmupMs: number;
  readonly windowMs: number;
  /** Bound on waiting for the proposals still in flight once the window closes. */
  readonly drainTimeoutMs: number;
  /** Where the acknowledgements go: `key<TAB>ackMs` per line. */
  readonly recordFile: string;
}

/** The subscriber's one argument (JSON). */
export interface FanOutSubscriberPlan {
  readonly target: FanOutTarget;
  /** The writer's key prefix: entries whose key lacks `<keyPrefix>-` are counted, not recorded. */
  readonly keyPrefix: string;
  /** Where the deliveries go: `key<TAB>deliveredMs` per line. */
  readonly recordFile: string;
  /** How often it prints a `progress` line (the scenario's drain watches them). */
  readonly progressIntervalMs: number;
}

/** The writer's last line. */
export interface FanOutWriterResult {
  readonly event: "result";
  /** Proposals acknowledged inside the window. */
  readonly ops: number;
  /** Proposals acknowledged in all (warm-up, window and drain): the lines of the record file. */
  readonly acknowledged: number;
  readonly windowMs: number;
  readonly latencyMs: LatencySummary;
  /** Failed proposals in the window, by error code or name. */
  readonly errors: Readonly<Record<string, number>>;
  /** Proposals still unsettled when the drain bound passed. */
  readonly unsettled: number;
  readonly clientCpuMs: number;
  readonly readyMs: number;
}

/** The writer's lines, in order; the window's bounds are wall times (ms), like the records. */
export type FanOutWriterEvent =
  | { readonly event: "ready" }
  | { readonly event: "window-start"; readonly atMs: number }
  | { readonly event: "window-end"; readonly atMs: number }
  | FanOutWriterResult;

/** The subscriber's last line. */
export interface FanOutSubscriberResult {
  readonly event: "result";
  /** Entry events delivered, in all: the lines of the record file plus `foreign`. */
  readonly delivered: number;
  /** Entries whose command was not one of the writer's (the ready writes, anything else). */
  readonly foreign: number;
  /** Snapshot events (a stream that fell behind a compaction): expected 0. */
  readonly snapshots: number;
  /** Events whose index was not above the group's last one: the stream's own once-only check. */
  readonly indexRegressions: number;
  /** Streams that errored and were resubscribed from the last index + 1. */
  readonly resubscribes: number;
  readonly clientCpuMs: number;
  /** The first stream error, if any. */
  readonly firstError: string | null;
}

/** The subscriber's lines, in order: ready (every stream subscribed), progress…, result. */
export type FanOutSubscriberEvent =
  | { readonly event: "ready" }
  | { readonly event: "progress"; readonly delivered: number }
  | FanOutSubscriberResult;

/** Now, as a wall time in milliseconds with sub-millisecond precision (one clock per machine). */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}
