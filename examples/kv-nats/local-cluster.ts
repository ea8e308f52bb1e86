/**
 * The test fixture of the NATS examples: one real `nats-server` (the testkit's, on loopback, its
 * own free port) and Flotilla nodes run in this process by `startNodeProcess` — the code that
 * `flotilla node` runs — each with its LMDB files under one temp dir. Everything it starts,
 * `stop()` stops: nodes first, then the server, then the files.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { NatsServer, waitFor } from "@flotilla/testkit";
import {
  parseNodeConfig,
  startNodeProcess,
  type NodeProcessConfig,
  type RunningNode,
} from "flotilla";

/** How {@link LocalCluster.start} starts the nodes. */
export interface LocalClusterOptions {
  /** The Flotilla cluster name (`--cluster`, the subject prefix). */
  readonly cluster: string;
  /** The groups every node hosts, as `flotilla node` flags: `["--shards", "kv:64:kv:n1,n2,n3"]`. */
  readonly groupFlags: readonly string[];
  /** Default `n1`, `n2`, `n3`. */
  readonly nodeIds?: readonly string[];
  /** `--tick-ms` (default 50). */
  readonly tickMs?: number;
  /** Starts one node from its configuration (default: `startNodeProcess`). */
  readonly startNode?: (config: NodeProcessConfig) => Promise<RunningNode>;
}

/** A nats-server and the nodes of one Flotilla cluster, in this process. */
export class LocalCluster {
  readonly running = new Map<string, RunningNode>();

  private constructor(
    readonly server: NatsServer,
    private readonly root: string,
    private readonly options: LocalClusterOptions,
  ) {}

  /** Starts the server, then every node; on a failure stops what started and rethrows. */
  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    const server = await NatsServer.start();
    const root = await mkdtemp(join(tmpdir(), `flotilla-${options.cluster}-`));
    const cluster = new LocalCluster(server, root, options);
    try {
      for (const nodeId of cluster.nodeIds) await cluster.startNode(nodeId);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get nodeIds(): readonly string[] {
    return this.options.nodeIds ?? ["n1", "n2", "n3"];
  }

  /** The server's `nats://127.0.0.1:<port>`. */
  get url(): string {
    return this.server.url;
  }

  /** Starts `nodeId` (again: same data dir). */
  async startNode(nodeId: string): Promise<RunningNode> {
    const config = parseNodeConfig(
      [
        ...["--node-id", nodeId, "--cluster", this.options.cluster, "--nats", this.server.url],
        ...["--data-dir", join(this.root, nodeId), ...this.options.groupFlags],
        ...["--tick-ms", String(this.options.tickMs ?? 50), "--rebalance-ms", "0"],
      ],
      {},
    );
    const start = this.options.startNode ?? ((c: NodeProcessConfig) => startNodeProcess(c, silent));
    const node = await start(config);
    this.running.set(nodeId, node);
    return node;
  }

  /** Stops `nodeId` as SIGTERM does: hands its leaderships over, then stops. */
  async stopNode(nodeId: string): Promise<void> {
    const node = this.running.get(nodeId);
    this.running.delete(nodeId);
    await node?.shutDown();
  }

  /** The running node whose replica of `groupId` is leader, if one is. */
  leaderOf(groupId: string): string | undefined {
    for (const [nodeId, running] of this.running) {
      const status = running.node.status().find((s) => s.groupId === groupId);
      if (status?.role === "leader") return nodeId;
    }
    return undefined;
  }

  /** Waits (bounded) until every group of `groupIds` has a leader among the running nodes. */
  async waitForLeaders(groupIds: readonly string[], timeoutMs = 15_000): Promise<void> {
    await waitFor(() => groupIds.every((groupId) => this.leaderOf(groupId) !== undefined), {
      description: `a leader for each of ${groupIds.length} groups`,
      timeoutMs,
      intervalMs: 50,
    });
  }

  /** Stops every node (together: each hand-over is bounded), then the server; removes the data. */
  async stop(): Promise<void> {
    await Promise.all([...this.running.keys()].map((nodeId) => this.stopNode(nodeId)));
    await this.server.dispose();
    await rm(this.root, { recursive: true, force: true });
  }
}

const silent = pino({ level: "silent" });
