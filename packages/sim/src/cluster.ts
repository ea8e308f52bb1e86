/**
 * The simulated cluster: every node, the groups placed on them, and the plumbing between the
 * network and the replicas (delivery, ticking, Ready handling, crash and restart). Iteration is
 * always in node order, then replica creation order, so a seed replays exactly.
 */
import { membershipOf, nodeId, SeededRandom, type Membership, type NodeId } from "@flotilla/raft";
import type { Network } from "./network.js";
import { childSeed, intBetween } from "./random-choice.js";
import { NodeClock } from "./node-clock.js";
import { ReplicaHost, type ReplicaObserver } from "./replica-host.js";
import { SimNode, type ReplicaFactory } from "./sim-node.js";
import type { World } from "./world.js";

/** Voters each group starts with (all nodes in a 3-node world). */
export const FOUNDING_VOTERS = 3;

/** The nodes and groups of one simulated world. */
export class Cluster {
  readonly nodes: readonly SimNode[];
  readonly groupIds: readonly string[];
  private readonly startReplica: ReplicaFactory;
  /** groupId → the membership it was founded with (the state at index 0). */
  private readonly founding = new Map<string, Membership>();

  constructor(
    private readonly world: World,
    private readonly random: SeededRandom,
    private readonly network: Network,
    observer: ReplicaObserver,
  ) {
    this.nodes = Array.from({ length: world.nodes }, (_, i) => {
      const driftPermille = intBetween(
        random,
        -10 * world.clockDriftPercent,
        10 * world.clockDriftPercent,
      );
      const period = (world.stepsPerTick * (1000 + driftPermille)) / 1000;
      return new SimNode(
        nodeId(`n${i + 1}`),
        new NodeClock(period, random.nextInt(world.stepsPerTick)),
      );
    });
    this.groupIds = Array.from({ length: world.groups }, (_, i) => `g${i}`);
    this.startReplica = (node, groupId, storage) =>
      new ReplicaHost({
        nodeId: node.id,
        groupId,
        storage,
        world,
        raftRandom: new SeededRandom(childSeed(random)),
        hostRandom: new SeededRandom(childSeed(random)),
        observer,
      });
    for (const groupId of this.groupIds) {
      const founders = this.chooseFounders();
      this.founding.set(groupId, membershipOf(founders));
      for (const node of this.nodes) {
        if (founders.includes(node.id)) node.bootstrap(groupId, membershipOf(founders));
      }
    }
    for (const node of this.nodes) node.boot(this.startReplica);
  }

  /** The node called `id`. */
  node(id: NodeId): SimNode | undefined {
    return this.nodes.find((node) => node.id === id);
  }

  /** The live replica of `groupId` on node `id`. */
  replica(id: NodeId, groupId: string): ReplicaHost | undefined {
    return this.node(id)?.replica(groupId);
  }

  /** The live replicas of `groupId`, in node order. */
  liveReplicas(groupId: string): ReplicaHost[] {
    const result: ReplicaHost[] = [];
    for (const node of this.nodes) {
      const host = node.replica(groupId);
      if (host !== undefined) result.push(host);
    }
    return result;
  }

  /** The live replica leading `groupId` in the highest term, if any. */
  leader(groupId: string): ReplicaHost | undefined {
    let best: { host: ReplicaHost; term: number } | undefined;
    for (const host of this.liveReplicas(groupId)) {
      const status = host.status();
      if (status.role === "leader" && (best === undefined || status.term > best.term)) {
        best = { host, term: status.term };
      }
    }
    return best?.host;
  }

  /** Every live replica, in node order. */
  allLiveReplicas(): ReplicaHost[] {
    return this.nodes.flatMap((node) => [...node.liveReplicas()]);
  }

  /** Delivers the messages due at `step` to the replicas they are for. */
  deliver(step: number): void {
    for (const envelope of this.network.deliverDue(step)) {
      const node = this.node(envelope.message.to);
      const founding = this.founding.get(envelope.groupId);
      if (node === undefined || founding === undefined) continue;
      const host = node.replicaOnContact(envelope.groupId, founding, this.startReplica);
      host?.step(envelope.message);
    }
  }

  /** Ticks the replicas of every up node whose clock ticks at `step`. */
  tick(step: number): void {
    for (const node of this.nodes) {
      if (!node.clock.ticksAt(step) || !node.up()) continue;
      for (const host of node.liveReplicas()) host.raft.tick();
    }
  }

  /** Every live replica handles its pending Ready records. */
  handleReadies(): void {
    for (const host of this.allLiveReplicas()) host.handleReadies();
  }

  /**
   * Crashes node `id` until `restartAtStep`. With odds `world.tornWriteOdds` a prefix of each
   * storage's unsynced writes survives. Returns the replicas that died.
   */
  crash(id: NodeId, restartAtStep: number): ReplicaHost[] {
    const node = this.node(id);
    if (node === undefined || !node.up()) return [];
    node.restartAtStep = restartAtStep;
    const torn = this.random.chance(this.world.tornWriteOdds);
    return node.crash((storage) =>
      torn ? this.random.nextInt(storage.unsyncedWriteCount() + 1) : 0,
    );
  }

  /** Restarts node `id` if it is down. Returns whether it was. */
  restart(id: NodeId): boolean {
    const node = this.node(id);
    if (node === undefined || node.up()) return false;
    node.boot(this.startReplica);
    return true;
  }

  private chooseFounders(): NodeId[] {
    const ids = this.nodes.map((node) => node.id);
    while (ids.length > FOUNDING_VOTERS) ids.splice(this.random.nextInt(ids.length), 1);
    return ids;
  }
}
