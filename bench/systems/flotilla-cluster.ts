/**
 * Flotilla as users run it: one `nats-server` (the testkit's launcher: loopback, ports it picks
 * itself) and three `flotilla node` processes hosting the sharded set `kv-0 … kv-(G-1)` with
 * every group on all three nodes, logs in LMDB under a temp dir, leader balancing off so the
 * window sees no planned leader moves.
 *
 * {@link FlotillaProcessCluster} is the same cluster with its nodes in reach: the scenarios past
 * the load comparison (issue 7, scenarios 3–7) SIGKILL and restart a node, add one, and pass
 * node flags of their own (snapshot thresholds, tick length).
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NatsServer } from "@flotilla/testkit";
import { OwnedProcess } from "./child-process.js";
import type { Durability, SystemCluster } from "./system-cluster.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(REPO, "packages", "flotilla", "src", "cli.ts");
const CLUSTER = "bench";
const SHARDS = "kv";
const NODE_IDS = ["n1", "n2", "n3"] as const;

/** How to start a {@link FlotillaProcessCluster}. */
export interface FlotillaClusterOptions {
  readonly groups: number;
  readonly durability: Durability;
  readonly natsServerBinary: string;
  readonly tempRoot: string;
  /** More `flotilla node` flags, after the cluster's own (`--snapshot-entries N`, …). */
  readonly nodeArgs?: readonly string[];
  /** Flags for Node.js itself, before the loader (`--cpu-prof`, `--max-old-space-size=…`). */
  readonly nodeRuntimeFlags?: readonly string[];
  /** The initial members (default n1, n2, n3): they host every group. */
  readonly nodeIds?: readonly string[];
  /** Log level of the node processes (default warn). */
  readonly logLevel?: string;
  /** nats-server's `max_payload` (default NATS's 1 MiB). */
  readonly maxPayloadBytes?: number;
  /** False: start nats-server only; the scenario starts the nodes (`startNode`) when ready. */
  readonly startNodes?: boolean;
}

/** nats-server and the `flotilla node` processes, each startable, killable and stoppable. */
export class FlotillaProcessCluster {
  readonly cluster = CLUSTER;
  readonly shards = SHARDS;
  private readonly nodes = new Map<string, OwnedProcess>();
  private stopped = false;

  private constructor(
    private readonly options: FlotillaClusterOptions,
    readonly server: NatsServer,
    readonly root: string,
    readonly members: readonly string[],
  ) {}

  /** Starts nats-server and every member; leaders are elected once the nodes are up. */
  static async start(options: FlotillaClusterOptions): Promise<FlotillaProcessCluster> {
    const root = await mkdtemp(join(options.tempRoot, "flotilla-"));
    const server = await NatsServer.start({
      binary: options.natsServerBinary,
      ...(options.maxPayloadBytes === undefined
        ? {}
        : { maxPayloadBytes: options.maxPayloadBytes }),
    });
    const cluster = new FlotillaProcessCluster(options, server, root, options.nodeIds ?? NODE_IDS);
    if (options.startNodes !== false) {
      for (const nodeId of cluster.members) await cluster.startNode(nodeId);
    }
    return cluster;
  }

  get natsUrl(): string {
    return this.server.url;
  }

  /** The LMDB directory of `nodeId`. */
  dataDir(nodeId: string): string {
    return join(this.root, nodeId);
  }

  /**
   * Starts (or restarts) `nodeId` on its data directory. A member of the initial set hosts the
   * shards; any other id starts empty and is given groups by the control plane (a learner).
   */
  async startNode(nodeId: string, extraArgs: readonly string[] = []): Promise<OwnedProcess> {
    if (this.nodes.get(nodeId)?.running === true) throw new Error(`${nodeId} is running`);
    await mkdir(this.dataDir(nodeId), { recursive: true });
    const hostsShards = this.members.includes(nodeId);
    const node = OwnedProcess.spawn(
      `flotilla ${nodeId}`,
      process.execPath,
      [
        ...(this.options.nodeRuntimeFlags ?? []),
        // tsx's loader inside the node process itself, so the pid measured is the node's.
        "--import",
        "tsx",
        "--conditions=@flotilla/source",
        CLI,
        "node",
        "--node-id",
        nodeId,
        "--cluster",
        CLUSTER,
        "--nats",
        this.server.url,
        "--data-dir",
        this.dataDir(nodeId),
        "--durability",
        this.options.durability,
        ...(hostsShards
          ? ["--shards", `${SHARDS}:${this.options.groups}:kv:${this.members.join(",")}`]
          : []),
        "--rebalance-ms",
        "0",
        "--log-level",
        this.options.logLevel ?? "warn",
        ...(this.options.nodeArgs ?? []),
        ...extraArgs,
      ],
      { cwd: REPO },
    );
    this.nodes.set(nodeId, node);
    return node;
  }

  /** The running process of `nodeId`, if any. */
  process(nodeId: string): OwnedProcess | undefined {
    const node = this.nodes.get(nodeId);
    return node?.running === true ? node : undefined;
  }

  /** SIGKILL: the node loses everything not synced. Resolves once it is gone. */
  async kill(nodeId: string): Promise<void> {
    await this.nodes.get(nodeId)?.kill();
  }

  /** SIGTERM (the node hands its leaderships over), SIGKILL past `timeoutMs`. */
  async stopNode(nodeId: string, timeoutMs = 10_000): Promise<void> {
    await this.nodes.get(nodeId)?.stop(timeoutMs);
  }

  /** Every running server process: the nodes and nats-server. */
  serverPids(): number[] {
    return [...[...this.nodes.values()].filter((node) => node.running), this.server]
      .map((owned) => owned.pid)
      .filter((pid): pid is number => pid !== undefined);
  }

  /** Stops every node (SIGTERM, so `--cpu-prof` profiles are written) and nats-server. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all([...this.nodes.values()].map((node) => node.stop(10_000)));
    await this.server.dispose().catch(() => undefined);
    await rm(this.root, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Starts nats-server and three nodes; the load generator's ready phase waits for leaders. */
export async function startFlotilla(
  options: Omit<FlotillaClusterOptions, "nodeIds">,
): Promise<SystemCluster> {
  const cluster = await FlotillaProcessCluster.start(options);
  return {
    system: "flotilla",
    durability: options.durability,
    groups: options.groups,
    target: {
      system: "flotilla",
      cluster: cluster.cluster,
      natsUrl: cluster.natsUrl,
      shards: cluster.shards,
      groups: options.groups,
    },
    notes: [],
    serverPids: () => cluster.serverPids(),
    stop: () => cluster.stop(),
  };
}
