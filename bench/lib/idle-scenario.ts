/**
 * The idle scenario: many groups on 3 nodes, no proposals. Once every group has an agreed leader
 * and no replica has reported a leadership change for two election timeouts, one window measures
 * what keeping the groups alive costs: process CPU, RSS, and what the nodes send — messages
 * (per-group traffic such as heartbeats) apart from empty batches (node-level liveness pings).
 * It measures whatever the runtime does: it neither waits for nor requires quiescence.
 */
import type { Durability } from "@flotilla/storage-lmdb";
import { runtimeRates, transportRates } from "./counter-rates.js";
import { InProcessCluster, NODE_IDS } from "./inprocess-cluster.js";
import { ResourceSampler } from "./resource-sampler.js";
import { roundTo } from "./round-to.js";
import { Scenario, type BenchRow, type RowIdentity } from "./result-row.js";
import { sleep } from "./sleep.js";

/** One idle configuration. */
export interface IdleConfig {
  readonly groups: number;
  readonly durability: Durability;
}

/** How long each phase may take. */
export interface IdleTiming {
  readonly windowMs: number;
  readonly tickIntervalMs: number;
  /** The bound on every group's first election. */
  readonly electionTimeoutMs: number;
  /** The bound on waiting for leadership to stay unchanged for two election timeouts. */
  readonly settleTimeoutMs: number;
}

/** The runtime's default election timeout in ticks (`electionTicks`), used here unchanged. */
const ELECTION_TICKS = 10;

/** The row's identity before anything runs (also what a failed row reports). */
export function idleIdentity(config: IdleConfig): RowIdentity {
  return {
    system: "flotilla",
    deployment: "in-process",
    scenario: Scenario.Idle,
    nodes: NODE_IDS.length,
    groups: config.groups,
    inFlight: null,
    durability: config.durability,
    commandBytes: null,
    warmupMs: null,
  };
}

/**
 * Runs one idle configuration on a fresh cluster under `parentDir`.
 *
 * @example
 * const row = await runIdle(tempDir, { groups: 1000, durability: "strict" }, timing);
 * row.transport?.messagesPerSecond; // per-group traffic while idle
 */
export async function runIdle(
  parentDir: string,
  config: IdleConfig,
  timing: IdleTiming,
): Promise<BenchRow> {
  const startedMs = performance.now();
  const cluster = await InProcessCluster.start({
    parentDir,
    groupCount: config.groups,
    durability: config.durability,
    nodeOptions: { tickIntervalMs: timing.tickIntervalMs, electionTicks: ELECTION_TICKS },
  });
  try {
    await cluster.waitForLeaders(timing.electionTimeoutMs);
    const electionMs = performance.now() - startedMs;
    const electionTimeoutMs = ELECTION_TICKS * timing.tickIntervalMs;
    await cluster.waitForStableLeadership(2 * electionTimeoutMs, timing.settleTimeoutMs);

    const sampler = new ResourceSampler();
    const changesBefore = cluster.leaders.changes;
    const before = cluster.counters();
    sampler.start();
    await sleep(timing.windowMs);
    const usage = sampler.stop();
    const after = cluster.counters();

    return {
      ...idleIdentity(config),
      windowMs: Math.round(usage.wallMs),
      opsPerSecond: null,
      latencyMs: null,
      cpuMsPer1kOps: null,
      cpuPercentOfOneCore: roundTo(usage.cpuPercentOfOneCore, 2),
      eventLoopUtilization: roundTo(usage.eventLoopUtilization, 3),
      rssMbStart: roundTo(usage.rssMbStart, 1),
      rssMbMax: roundTo(usage.rssMbMax, 1),
      errors: {},
      retries: null,
      leadershipChanges: cluster.leaders.changes - changesBefore,
      electionMs: Math.round(electionMs),
      runtime: runtimeRates(before, after, usage.wallMs, null, NODE_IDS.length),
      transport: transportRates(before, after, usage.wallMs),
      status: "ok",
      error: null,
    };
  } finally {
    await cluster.stop();
  }
}
