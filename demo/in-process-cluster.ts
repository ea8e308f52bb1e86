/**
 * The demo's cluster when no nats-server can be had (or with `--in-process`): three
 * FlotillaNodes in this process over the in-process transport, each with its own LMDB files in
 * a temp dir (strict durability). A kill cuts the node off the network first, so nothing more
 * leaves it, then drops it; a restart opens its LMDB files again.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeId, type NodeId } from "@flotilla/raft";
import { LmdbNodeStorage } from "@flotilla/storage-lmdb";
import {
  FlotillaNode,
  InMemoryNetwork,
  NotLeaderError,
  jsonCodec,
  type Group,
} from "@flotilla/runtime";
import type { DemoCluster, ReplicaState } from "./demo-cluster.js";
import { DemoStateMachine, type DemoPut } from "./demo-state-machine.js";

type DemoGroup = Group<DemoPut, number, string, string | undefined>;

interface HostedNode {
  readonly node: FlotillaNode;
  readonly groups: Map<string, { group: DemoGroup; machine: DemoStateMachine }>;
}

/** Three nodes in this process. */
export class InProcessCluster implements DemoCluster {
  readonly description = "3 nodes in this process over the in-process transport, LMDB on disk";
  readonly killVerb = "abrupt stop (cut off the network, then dropped)";
  readonly nodeIds: readonly NodeId[] = ["n1", "n2", "n3"].map(nodeId);
  private readonly network = new InMemoryNetwork();
  private readonly nodes = new Map<string, HostedNode>();

  private constructor(
    readonly groupIds: readonly string[],
    private readonly root: string,
  ) {}

  /** Starts three nodes hosting `groups` groups `demo-0…`. */
  static async start(groups: number): Promise<InProcessCluster> {
    const root = await mkdtemp(join(tmpdir(), "flotilla-demo-"));
    const groupIds = Array.from({ length: groups }, (_, i) => `demo-${i}`);
    const cluster = new InProcessCluster(groupIds, root);
    for (const id of cluster.nodeIds) await cluster.startNode(id);
    return cluster;
  }

  propose(groupId: string, put: DemoPut): Promise<number> {
    for (const [id, hosted] of this.nodes) {
      const entry = hosted.groups.get(groupId);
      if (entry === undefined) continue;
      const leader = this.leaderSeenBy(hosted, groupId);
      if (leader === id) return entry.group.propose(put, { timeoutMs: 5_000 });
    }
    return Promise.reject(new NotLeaderError(groupId, undefined));
  }

  status(): Map<string, ReturnType<FlotillaNode["status"]> | undefined> {
    const status = new Map<string, ReturnType<FlotillaNode["status"]> | undefined>();
    for (const id of this.nodeIds) status.set(id, this.nodes.get(id)?.node.status());
    return status;
  }

  async kill(id: string): Promise<void> {
    const hosted = this.nodes.get(id);
    if (hosted === undefined) return;
    this.network.isolate(id as NodeId, this.nodeIds);
    this.nodes.delete(id);
    await hosted.node.stop();
  }

  async restart(id: string): Promise<void> {
    if (this.nodes.has(id)) return;
    this.network.healAll();
    await this.startNode(id as NodeId);
  }

  rebalance(): void {
    for (const hosted of this.nodes.values()) hosted.node.rebalance();
  }

  async settle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const statuses = [...this.nodes.values()].flatMap((hosted) => hosted.node.status());
      const commit = new Map<string, number>();
      for (const s of statuses)
        commit.set(s.groupId, Math.max(commit.get(s.groupId) ?? 0, s.commitIndex));
      if (statuses.every((s) => s.appliedIndex >= (commit.get(s.groupId) ?? 0))) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }

  states(): Promise<Map<string, Map<string, ReplicaState>>> {
    const states = new Map<string, Map<string, ReplicaState>>();
    for (const groupId of this.groupIds) {
      const perNode = new Map<string, ReplicaState>();
      for (const [id, hosted] of this.nodes) {
        const machine = hosted.groups.get(groupId)?.machine;
        if (machine !== undefined)
          perNode.set(id, { digest: machine.digest(), values: machine.values });
      }
      states.set(groupId, perNode);
    }
    return Promise.resolve(states);
  }

  async close(): Promise<void> {
    for (const hosted of this.nodes.values()) await hosted.node.stop();
    this.nodes.clear();
    await rm(this.root, { recursive: true, force: true });
  }

  private async startNode(id: NodeId): Promise<void> {
    const node = await FlotillaNode.start({
      nodeId: id,
      storage: await LmdbNodeStorage.open(join(this.root, id), { durability: "strict" }),
      transport: this.network.endpoint(id),
      tickIntervalMs: 100,
      electionTicks: 10,
    });
    const groups = new Map<string, { group: DemoGroup; machine: DemoStateMachine }>();
    for (const groupId of this.groupIds) {
      const machine = new DemoStateMachine();
      const group = await node.group(groupId, {
        members: this.nodeIds,
        stateMachine: machine,
        codec: jsonCodec<DemoPut>(),
      });
      groups.set(groupId, { group, machine });
    }
    this.nodes.set(id, { node, groups });
  }

  private leaderSeenBy(hosted: HostedNode, groupId: string): string | undefined {
    let leaderId: string | undefined;
    hosted.groups
      .get(groupId)
      ?.group.leader$.subscribe((info) => (leaderId = info.leaderId))
      .unsubscribe();
    return leaderId;
  }
}
