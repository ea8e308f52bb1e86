/**
 * The benchmark's cluster: 3 FlotillaNodes in this one process over an InMemoryNetwork, each with
 * its own LmdbNodeStorage in a fresh directory (real files, real fdatasync), hosting the same
 * groups. Whatever `start` creates, `stop` removes — nodes stopped, storage closed, directory
 * deleted — and a failed `start` undoes itself before it rejects.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { nodeId } from "@flotilla/raft";
import { LmdbNodeStorage, type Durability } from "@flotilla/storage-lmdb";
import {
  FlotillaNode,
  InMemoryNetwork,
  type FlotillaNodeOptions,
  type Group,
  type NodeStats,
} from "@flotilla/runtime";
import { CountingStateMachine } from "./counting-state-machine.js";
import {
  CountingTransport,
  sumTransportCounts,
  type TransportCounts,
} from "./counting-transport.js";
import { LeaderTracker } from "./leader-tracker.js";

/** The node ids, in index order. */
export const NODE_IDS = ["n1", "n2", "n3"] as const;

/** A group as the benchmark proposes to it: 100-byte commands, the entry index as result. */
export type BenchGroup = Group<Uint8Array, number, never, never>;

/** How to build a cluster. */
export interface ClusterOptions {
  /** Where the nodes' directories are created (removed by `stop`). */
  readonly parentDir: string;
  readonly groupCount: number;
  readonly durability: Durability;
  /** Node options beyond the ids, storage and transport (tick interval, bounds). */
  readonly nodeOptions?: Partial<Omit<FlotillaNodeOptions, "nodeId" | "storage" | "transport">>;
}

/** Summed counters of every node: the runtime's own and the counting transports'. */
export interface ClusterCounters {
  readonly rounds: number;
  readonly storageWrites: number;
  /** Batches carrying Raft messages, as the runtime counts them. */
  readonly batchesSent: number;
  /** Empty batches sent as node-level liveness pings, as the runtime counts them. */
  readonly livenessPings: number;
  readonly quiescedReplicas: number;
  readonly replicas: number;
  /** What the transports saw. */
  readonly transport: TransportCounts;
}

/** One node and what the benchmark holds of it. */
interface BenchNode {
  readonly node: FlotillaNode;
  readonly transport: CountingTransport;
  readonly groups: BenchGroup[];
}

/**
 * Three nodes, `groupCount` groups `g0…`, every group on every node.
 *
 * @example
 * const cluster = await InProcessCluster.start({ parentDir, groupCount: 64, durability: "strict" });
 * try {
 *   await cluster.waitForLeaders(30_000);
 *   await cluster.groupOn(cluster.leaders.leaderOf(0) ?? 0, 0).propose(command);
 * } finally {
 *   await cluster.stop();
 * }
 */
export class InProcessCluster {
  readonly leaders: LeaderTracker;
  private readonly nodes: BenchNode[] = [];
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly dataDir: string,
    readonly groupCount: number,
  ) {
    this.leaders = new LeaderTracker(NODE_IDS, groupCount);
  }

  /** Creates the directories, opens the storages, starts the nodes and hosts every group. */
  static async start(options: ClusterOptions): Promise<InProcessCluster> {
    const dataDir = await mkdtemp(join(options.parentDir, "cluster-"));
    const cluster = new InProcessCluster(dataDir, options.groupCount);
    try {
      await cluster.startNodes(options);
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** The group handle of node `nodeIndex`'s replica of group `groupIndex`. */
  groupOn(nodeIndex: number, groupIndex: number): BenchGroup {
    const group = this.nodes[nodeIndex]?.groups[groupIndex];
    if (group === undefined) throw new RangeError(`no replica ${nodeIndex}/${groupIndex}`);
    return group;
  }

  /** The index of node `id`, if it is one of the cluster's. */
  nodeIndexOf(id: string | undefined): number | undefined {
    const index = NODE_IDS.findIndex((candidate) => candidate === id);
    return index < 0 ? undefined : index;
  }

  /** The counters of every node, summed. */
  counters(): ClusterCounters {
    const stats: NodeStats[] = this.nodes.map(({ node }) => node.stats());
    const sum = (pick: (s: NodeStats) => number) => stats.reduce((t, s) => t + pick(s), 0);
    return {
      rounds: sum((s) => s.rounds),
      storageWrites: sum((s) => s.storageWrites),
      batchesSent: sum((s) => s.batchesSent),
      livenessPings: sum((s) => s.livenessPings),
      quiescedReplicas: sum((s) => s.quiescedReplicas),
      replicas: sum((s) => s.replicas),
      transport: sumTransportCounts(this.nodes.map(({ transport }) => transport.counts())),
    };
  }

  /**
   * Resolves once every group has a leader all its replicas agree on; rejects after
   * `timeoutMs` (polled every 20 ms: this only gates the start of a measurement).
   */
  async waitForLeaders(timeoutMs: number): Promise<void> {
    await pollUntil(
      () => this.leaders.agreedCount() === this.groupCount,
      timeoutMs,
      () => `${this.leaders.agreedCount()} of ${this.groupCount} groups have an agreed leader`,
    );
  }

  /**
   * Resolves once no replica has reported a leader or term change for `stableMs` (and every
   * group still has its agreed leader); rejects after `timeoutMs`.
   */
  async waitForStableLeadership(stableMs: number, timeoutMs: number): Promise<void> {
    await pollUntil(
      () =>
        this.leaders.msSinceLastChange() >= stableMs &&
        this.leaders.agreedCount() === this.groupCount,
      timeoutMs,
      () => `leadership changed ${Math.round(this.leaders.msSinceLastChange())} ms ago`,
    );
  }

  /** Stops every node (rejecting what is pending with `StoppedError`) and deletes the files. */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  private async startNodes(options: ClusterOptions): Promise<void> {
    const network = new InMemoryNetwork();
    const members = [...NODE_IDS];
    for (const id of NODE_IDS) {
      const storage = await LmdbNodeStorage.open(join(this.dataDir, id), {
        durability: options.durability,
      });
      const transport = new CountingTransport(network.endpoint(nodeId(id)));
      let node: FlotillaNode;
      try {
        node = await FlotillaNode.start({ ...options.nodeOptions, nodeId: id, storage, transport });
      } catch (error) {
        await storage.close();
        throw error;
      }
      this.nodes.push({ node, transport, groups: [] });
    }
    // Each node creates its groups concurrently (its storage commits them one after another).
    await Promise.all(
      this.nodes.map(async (benchNode, nodeIndex) => {
        const groups = await Promise.all(
          Array.from({ length: this.groupCount }, (_, groupIndex) =>
            benchNode.node.group(`g${groupIndex}`, {
              members,
              stateMachine: new CountingStateMachine(),
            }),
          ),
        );
        for (const [groupIndex, group] of groups.entries()) {
          benchNode.groups.push(group);
          this.leaders.follow(nodeIndex, groupIndex, group.leader$);
        }
      }),
    );
  }

  private async shutDown(): Promise<void> {
    this.leaders.close();
    const results = await Promise.allSettled(this.nodes.map(({ node }) => node.stop()));
    await rm(this.dataDir, { recursive: true, force: true });
    const failed = results.find((result) => result.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  }
}

/** Polls `done` every 20 ms until it holds, or rejects with `describe()` after `timeoutMs`. */
async function pollUntil(
  done: () => boolean,
  timeoutMs: number,
  describe: () => string,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) {
      throw new Error(`not reached within ${timeoutMs} ms: ${describe()}`);
    }
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
  }
}
