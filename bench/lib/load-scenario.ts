/**
 * The load scenario: a fresh 3-node cluster with `groups` groups, closed-loop proposals with
 * `inFlight` in flight, a warm-up, then a fixed measurement window in which throughput, latency,
 * process CPU and RSS, and the runtime's counters are read. Every phase has a time bound, and
 * the cluster (nodes, files) is gone when this returns or throws.
 */
import type { Durability } from "@flotilla/storage-lmdb";
import { ClosedLoop } from "./closed-loop.js";
import { runtimeRates, transportRates } from "./counter-rates.js";
import { InProcessCluster, NODE_IDS } from "./inprocess-cluster.js";
import type { LatencySummary } from "./latency-histogram.js";
import { ResourceSampler } from "./resource-sampler.js";
import { roundTo } from "./round-to.js";
import { Scenario, type BenchRow, type RowIdentity } from "./result-row.js";
import { sleep } from "./sleep.js";

/** One load configuration. */
export interface LoadConfig {
  readonly groups: number;
  readonly inFlight: number;
  readonly durability: Durability;
}

/** How long each phase may take. */
export interface LoadTiming {
  readonly warmupMs: number;
  readonly windowMs: number;
  /** How long proposals still in flight after the window may take to settle. */
  readonly drainMs: number;
  /** The bound on the first elections. */
  readonly electionTimeoutMs: number;
  readonly tickIntervalMs: number;
}

/** Commands are this many bytes (the brief's 100-byte commands). */
export const COMMAND_BYTES = 100;

/** The row's identity before anything runs (also what a failed row reports). */
export function loadIdentity(config: LoadConfig, timing: LoadTiming): RowIdentity {
  return {
    system: "flotilla",
    deployment: "in-process",
    scenario: Scenario.Load,
    nodes: NODE_IDS.length,
    groups: config.groups,
    inFlight: config.inFlight,
    durability: config.durability,
    commandBytes: COMMAND_BYTES,
    warmupMs: timing.warmupMs,
  };
}

/**
 * Runs one load configuration on a fresh cluster under `parentDir`.
 *
 * @example
 * const row = await runLoad(tempDir, { groups: 64, inFlight: 1024, durability: "strict" }, timing);
 * row.opsPerSecond; // acknowledged proposals per second in the window
 */
export async function runLoad(
  parentDir: string,
  config: LoadConfig,
  timing: LoadTiming,
): Promise<BenchRow> {
  const startedMs = performance.now();
  const cluster = await InProcessCluster.start({
    parentDir,
    groupCount: config.groups,
    durability: config.durability,
    nodeOptions: { tickIntervalMs: timing.tickIntervalMs },
  });
  let load: ClosedLoop | undefined;
  try {
    await cluster.waitForLeaders(timing.electionTimeoutMs);
    const electionMs = performance.now() - startedMs;
    load = ClosedLoop.start(cluster, { inFlight: config.inFlight, commandBytes: COMMAND_BYTES });
    await sleep(timing.warmupMs);

    const sampler = new ResourceSampler();
    const changesBefore = cluster.leaders.changes;
    const before = cluster.counters();
    sampler.start();
    load.beginWindow();
    await sleep(timing.windowMs);
    const window = load.endWindow();
    const usage = sampler.stop();
    const after = cluster.counters();
    const leadershipChanges = cluster.leaders.changes - changesBefore;
    await load.stop(timing.drainMs);

    const acknowledged = window.acknowledged;
    return {
      ...loadIdentity(config, timing),
      windowMs: Math.round(usage.wallMs),
      opsPerSecond: roundTo((acknowledged / usage.wallMs) * 1000, 1),
      latencyMs: acknowledged === 0 ? null : roundSummary(window.latency.summary()),
      cpuMsPer1kOps: acknowledged === 0 ? null : roundTo((usage.cpuMs / acknowledged) * 1000, 1),
      cpuPercentOfOneCore: roundTo(usage.cpuPercentOfOneCore, 1),
      eventLoopUtilization: roundTo(usage.eventLoopUtilization, 3),
      rssMbStart: roundTo(usage.rssMbStart, 1),
      rssMbMax: roundTo(usage.rssMbMax, 1),
      errors: window.errors,
      retries: window.retries,
      leadershipChanges,
      electionMs: Math.round(electionMs),
      runtime: runtimeRates(before, after, usage.wallMs, acknowledged, NODE_IDS.length),
      transport: transportRates(before, after, usage.wallMs),
      status: "ok",
      error: null,
    };
  } finally {
    // Stop proposing before the nodes stop, so no slot spins on StoppedError.
    await load?.stop(0);
    await cluster.stop();
  }
}

function roundSummary(summary: LatencySummary): LatencySummary {
  return {
    p50: roundTo(summary.p50, 3),
    p90: roundTo(summary.p90, 3),
    p99: roundTo(summary.p99, 3),
    max: roundTo(summary.max, 3),
  };
}
