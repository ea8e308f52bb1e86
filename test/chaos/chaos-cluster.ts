/**
 * The real parts of a chaos run: a 3-server NATS cluster, `flotilla node` processes on LMDB in
 * strict durability (spread round-robin over the servers, each given every URL with its own
 * first), the fencing sink process and the `chaos` groups, created on every node through the
 * control subject so that a removed member's data can be deleted for good. Everything started
 * here is SIGKILLed by `dispose()` and, as a last resort, when the runner exits or is signalled.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NatsCluster, waitFor } from "@flotilla/testkit";
import { NodeProcesses } from "../support/node-processes.js";
import { CHAOS_SINK_ENV } from "./chaos-kinds.js";
import { exitWithin, type ChildReaper } from "./child-reaper.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));
export const REPO = join(HERE, "..", "..");
/** How a chaos run's own scripts start: Node with tsx and the workspace's source condition. */
export const TSX_EXEC_ARGV = ["--import", "tsx", "--conditions=@flotilla/source"] as const;

/** The timing and snapshot settings every node of the run gets. */
export const NODE_TIMING = {
  tickMs: 50,
  electionTicks: 10,
  /** Small, so that snapshots, compaction and snapshot installs happen under faults. */
  snapshotEntries: 200,
  compactionTrailing: 50,
} as const;

/** The shortest election timeout of the run's nodes (one election timeout = ticks × tick). */
export const ELECTION_TIMEOUT_MS = NODE_TIMING.tickMs * NODE_TIMING.electionTicks;

/** What the run starts. */
export interface ChaosClusterOptions {
  readonly nodes: number;
  readonly groups: number;
  readonly cluster: string;
  /** The results folder (the sink's acts file goes there). */
  readonly out: string;
}

/** The running cluster. */
export class ChaosCluster {
  private constructor(
    readonly nats: NatsCluster,
    readonly nodes: NodeProcesses,
    readonly groupIds: readonly string[],
    private readonly sink: ChildProcess,
    readonly reaper: ChildReaper,
  ) {}

  /** Starts everything and waits until every group has a leader (bounded). */
  static async start(options: ChaosClusterOptions, reaper: ChildReaper): Promise<ChaosCluster> {
    const nodeIds = Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`);
    const groupIds = Array.from({ length: options.groups }, (_, i) => `c-${i}`);
    const nats = await NatsCluster.start({ size: 3, clusterName: `${options.cluster}-nats` });
    let nodes: NodeProcesses | undefined;
    let sink: ChildProcess | undefined;
    try {
      sink = spawn(
        process.execPath,
        [...TSX_EXEC_ARGV, join(HERE, "sink-process.ts"), join(options.out, "acts.jsonl")],
        { cwd: REPO, stdio: ["ignore", "pipe", "inherit"] },
      );
      reaper.add(sink);
      const port = await sinkPort(sink);
      // The nodes inherit the environment: the sink's URL for the companions, the chaos switch.
      process.env[CHAOS_SINK_ENV] = `http://127.0.0.1:${port}/act`;
      process.env["FLOTILLA_CHAOS"] = "1";
      const urls = nats.urls;
      nodes = await NodeProcesses.start({
        nodeIds,
        cluster: options.cluster,
        natsServers: (nodeId) => {
          const own = nodeIds.indexOf(nodeId) % urls.length;
          return [...urls.slice(own), ...urls.slice(0, own)];
        },
        // One idle group from the flags (the fixture needs one); the chaos groups are created
        // through the control subject and recorded by each node, so a member removed and
        // deleted is not re-created from its flags when it restarts.
        shards: `idle:1:kv:${nodeIds.join(",")}`,
        tickMs: NODE_TIMING.tickMs,
        electionTicks: NODE_TIMING.electionTicks,
        logLevel: "warn",
        extraFlags: () => [
          ...["--kinds", join(HERE, "chaos-kinds.ts"), "--durability", "strict"],
          ...["--snapshot-entries", String(NODE_TIMING.snapshotEntries)],
          ...["--compaction-trailing", String(NODE_TIMING.compactionTrailing)],
          ...["--rebalance-ms", "0"],
        ],
        controlNats: { servers: urls },
      });
      const cluster = new ChaosCluster(nats, nodes, groupIds, sink, reaper);
      await cluster.createGroups(nodeIds);
      await nodes.waitForLeaders(groupIds, 60_000);
      return cluster;
    } catch (error) {
      await nodes?.dispose();
      sink?.kill("SIGKILL");
      await nats.dispose();
      throw error;
    }
  }

  /** Creates every chaos group on every node, with all nodes as voters. */
  private async createGroups(nodeIds: readonly string[]): Promise<void> {
    for (const groupId of this.groupIds) {
      await Promise.all(
        nodeIds.map((nodeId) =>
          this.nodes.control(
            nodeId,
            { op: "create-group", groupId, kind: "chaos", members: nodeIds },
            10_000,
          ),
        ),
      );
    }
  }

  /** Stops the sink (SIGTERM: it flushes its acts file) and waits for it to exit (bounded). */
  async stopSink(): Promise<void> {
    if (this.sink.exitCode !== null || this.sink.signalCode !== null) return;
    this.sink.kill("SIGTERM");
    if (!(await exitWithin(this.sink, 5_000))) this.sink.kill("SIGKILL");
  }

  /** SIGKILLs every node, the sink and the NATS servers. */
  async dispose(): Promise<void> {
    this.sink.kill("SIGKILL");
    await this.nodes.dispose();
    await this.nats.dispose();
  }
}

/** Resolves with the port the sink prints once it listens (bounded). */
async function sinkPort(sink: ChildProcess): Promise<number> {
  let output = "";
  sink.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  let port: number | undefined;
  await waitFor(
    () => {
      const match = /sink-port (\d+)/.exec(output);
      if (sink.exitCode !== null) throw new Error(`the sink exited: ${sink.exitCode}`);
      port = match === null ? undefined : Number(match[1]);
      return port !== undefined;
    },
    { description: "the sink to listen", timeoutMs: 30_000, intervalMs: 50 },
  );
  if (port === undefined) throw new Error("no sink port");
  return port;
}
