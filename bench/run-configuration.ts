/**
 * One system under one scenario: start its cluster, run one load generator per in-flight count
 * against it (fresh keys each time), turn what they measured into rows, and stop the cluster
 * whatever happened. A cluster that cannot start fails its rows with the reason; a system that
 * cannot be had skips them.
 */
import { join } from "node:path";
import type { LoadPlan } from "./lib/load-target.js";
import { unmeasuredRow, type PeerRow, type PeerRowIdentity } from "./lib/peer-row.js";
import { roundTo } from "./lib/round-to.js";
import { runLoadGenerator } from "./lib/run-load-generator.js";
import type { Peers } from "./peers.js";
import { startEtcd } from "./systems/etcd-cluster.js";
import { startFlotilla } from "./systems/flotilla-cluster.js";
import { startJetStream } from "./systems/jetstream-cluster.js";
import type { Durability, SystemCluster, SystemName } from "./systems/system-cluster.js";

/** A system and the durability it runs with. */
export interface SystemConfig {
  readonly system: SystemName;
  readonly durability: Durability;
}

/** The phases' lengths and bounds. */
export interface RunTiming {
  readonly warmupMs: number;
  readonly windowMs: number;
  readonly readyTimeoutMs: number;
  readonly drainTimeoutMs: number;
  readonly startTimeoutMs: number;
  readonly streamCreateTimeoutMs: number;
}

/** Everything one system × scenario needs. */
export interface ConfigurationRun {
  readonly config: SystemConfig;
  readonly peers: Peers;
  readonly scenario: number;
  readonly groups: number;
  readonly inFlights: readonly number[];
  readonly round: number;
  readonly valueBytes: number;
  readonly timing: RunTiming;
  readonly tempRoot: string;
  readonly log: (line: string) => void;
  /** When set, Flotilla's node processes write `--cpu-prof` profiles here. */
  readonly cpuProfDir?: string;
}

/** Runs every in-flight count of `run` on one fresh cluster; never throws. */
export async function runScenarioOnSystem(
  run: ConfigurationRun,
): Promise<{ rows: PeerRow[]; notes: readonly string[] }> {
  const { config, peers, timing } = run;
  // etcd is one cluster whatever the scenario: that is its design (issue 7, scenario 2).
  const groups = config.system === "etcd" ? 1 : run.groups;
  const identity = (inFlight: number, groupsMeasured = groups): PeerRowIdentity => ({
    system: config.system,
    scenario: run.scenario,
    groups: groupsMeasured,
    inFlight,
    durability: config.durability,
    round: run.round,
  });
  const base = { valueBytes: run.valueBytes, warmupMs: timing.warmupMs };
  const unavailable = peers.unavailable[config.system];
  if (unavailable !== undefined) {
    return {
      rows: run.inFlights.map((n) => unmeasuredRow(identity(n), base, "skipped", unavailable)),
      notes: [],
    };
  }
  let cluster: SystemCluster | undefined;
  try {
    cluster = await startCluster(run, groups);
  } catch (error) {
    run.log(`  could not start ${config.system}: ${String(error)}`);
    return {
      rows: run.inFlights.map((n) => unmeasuredRow(identity(n), base, "failed", error)),
      notes: [],
    };
  }
  const rows: PeerRow[] = [];
  try {
    for (const inFlight of run.inFlights) {
      const plan: LoadPlan = {
        target: cluster.target,
        inFlight,
        valueBytes: run.valueBytes,
        keyPrefix: `r${run.round}s${run.scenario}f${inFlight}t${Date.now().toString(36)}`,
        readyTimeoutMs: timing.readyTimeoutMs,
        warmupMs: timing.warmupMs,
        windowMs: timing.windowMs,
        drainTimeoutMs: timing.drainTimeoutMs,
      };
      try {
        const pids = cluster.serverPids();
        const { result, servers } = await runLoadGenerator(plan, pids);
        const perKOps = (ms: number): number | null =>
          result.ops > 0 ? roundTo((ms / result.ops) * 1000, 1) : null;
        const row: PeerRow = {
          ...identity(inFlight, cluster.groups),
          deployment: "multi-process",
          ...base,
          windowMs: roundTo(result.windowMs, 0),
          opsPerSecond: roundTo(result.ops / (result.windowMs / 1000), 0),
          latencyMs: {
            p50: roundTo(result.latencyMs.p50, 3),
            p90: roundTo(result.latencyMs.p90, 3),
            p99: roundTo(result.latencyMs.p99, 3),
            max: roundTo(result.latencyMs.max, 3),
          },
          cpuMsPer1kOps: perKOps(servers.cpuMs),
          cpuPercentOfOneCore: roundTo((servers.cpuMs / servers.wallMs) * 100, 0),
          rssMbMax: roundTo(servers.rssMbMax, 0),
          rssMbMaxPerProcess: roundTo(servers.rssMbMaxPerProcess, 0),
          clientCpuMsPer1kOps: perKOps(result.clientCpuMs),
          serverProcesses: pids.length,
          errors: result.errors,
          detail: result.detail,
          status: "ok",
          error: null,
        };
        run.log(
          `  ${inFlight} in flight: ${row.opsPerSecond} ops/s, p50 ${row.latencyMs?.p50} ms, ` +
            `p99 ${row.latencyMs?.p99} ms, CPU ${row.cpuMsPer1kOps} ms/1k ops`,
        );
        rows.push(row);
      } catch (error) {
        run.log(`  ${inFlight} in flight failed: ${String(error)}`);
        rows.push(unmeasuredRow(identity(inFlight, cluster.groups), base, "failed", error));
      }
    }
  } finally {
    await cluster.stop();
  }
  return { rows, notes: cluster.notes };
}

function startCluster(run: ConfigurationRun, groups: number): Promise<SystemCluster> {
  const { peers, timing, tempRoot } = run;
  switch (run.config.system) {
    case "flotilla":
      return startFlotilla({
        groups,
        durability: run.config.durability,
        natsServerBinary: required(peers.natsServer),
        tempRoot,
        nodeRuntimeFlags:
          run.cpuProfDir === undefined
            ? []
            : [
                "--cpu-prof",
                `--cpu-prof-dir=${join(run.cpuProfDir, `${run.config.durability}-s${run.scenario}-r${run.round}`)}`,
              ],
      });
    case "etcd":
      return startEtcd(required(peers.etcd), tempRoot, timing.startTimeoutMs);
    case "jetstream":
      return startJetStream(
        groups,
        required(peers.natsServer),
        tempRoot,
        timing.streamCreateTimeoutMs,
      );
  }
}

function required(binary: string | null): string {
  if (binary === null) throw new Error("binary missing");
  return binary;
}
