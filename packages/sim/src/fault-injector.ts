/**
 * The safety phase's adversary: at the odds the world sets, it crashes and restarts nodes
 * (at most a minority down at once, so groups can still make progress), starts and heals
 * partitions (a split, an isolated node, or one-way cuts), changes group membership through
 * the leader (add a learner, promote it, demote or remove a voter, swap one voter for another;
 * never below the voter floor), and asks leaders to hand over leadership.
 */
import {
  allMembers,
  isJoint,
  type NodeChange,
  type NodeId,
  type SeededRandom,
} from "@flotilla/raft";
import type { Cluster } from "./cluster.js";
import type { Coverage } from "./coverage.js";
import type { Network } from "./network.js";
import type { SimNode } from "./sim-node.js";
import { intBetween, pick } from "./random-choice.js";
import type { NewLeader } from "./safety-checker.js";
import type { World } from "./world.js";
import { cutRandomPartition } from "./random-partition.js";

/**
 * Fewest voters a membership change may leave. Three keeps a 5-node world's groups
 * fault-tolerant; a 3-node world allows two, or its groups (on all three nodes from the start)
 * could never change membership at all.
 */
export function voterFloor(world: World): number {
  return world.nodes >= 5 ? 3 : 2;
}

/** Injects faults into one simulation. */
export class FaultInjector {
  private partitionEndsAtStep: number | undefined;
  /** groupId → the transfer asked for and the term it was asked in. */
  private readonly transfers = new Map<string, { target: NodeId; term: number }>();

  constructor(
    private readonly world: World,
    private readonly random: SeededRandom,
    private readonly cluster: Cluster,
    private readonly network: Network,
    private readonly coverage: Coverage,
  ) {}

  /** One step of the safety phase. */
  step(step: number): void {
    const { world, random } = this;
    this.restartDueNodes(step);
    if (random.chance(world.crashOdds)) this.crashOne(step);
    if (this.partitionEndsAtStep !== undefined && step >= this.partitionEndsAtStep) this.heal();
    if (this.partitionEndsAtStep === undefined && random.chance(world.partitionOdds))
      this.partition(step);
    if (random.chance(world.membershipOdds)) this.changeMembership();
    if (random.chance(world.transferOdds)) this.transferLeadership();
  }

  /** The liveness phase begins: every node up, every link healed. */
  stopAll(): void {
    this.heal();
    for (const node of this.cluster.nodes) this.cluster.restart(node.id);
  }

  /** Counts the transfers that made their target leader. */
  newLeaders(leaders: readonly NewLeader[]): void {
    for (const leader of leaders) {
      const transfer = this.transfers.get(leader.groupId);
      if (transfer === undefined || leader.term <= transfer.term) continue;
      if (leader.nodeId === transfer.target) this.coverage.transfers++;
      this.transfers.delete(leader.groupId);
    }
  }

  private restartDueNodes(step: number): void {
    for (const node of this.cluster.nodes) {
      if (!node.up() && step >= node.restartAtStep) this.cluster.restart(node.id);
    }
  }

  private crashOne(step: number): void {
    const up = this.cluster.nodes.filter((node) => node.up());
    const downMax = Math.floor((this.world.nodes - 1) / 2);
    if (this.world.nodes - up.length >= downMax) return;
    const victim = this.chooseVictim(up);
    this.cluster.crash(victim.id, step + intBetween(this.random, 1, this.world.downStepsMax));
    this.coverage.crashes++;
  }

  /**
   * Faults find bugs where they hurt: half the time the victim is a node leading some group,
   * a quarter of the time one holding unsynced writes, otherwise any node.
   */
  private chooseVictim(nodes: readonly SimNode[]): SimNode {
    const roll = this.random.nextInt(4);
    const leaders = roll < 2 ? nodes.filter((node) => node.leadsSomeGroup()) : [];
    if (leaders.length > 0) return pick(this.random, leaders);
    const unsynced = roll === 2 ? nodes.filter((node) => node.unsyncedWriteCount() > 0) : [];
    if (unsynced.length > 0) return pick(this.random, unsynced);
    return pick(this.random, nodes);
  }

  private partition(step: number): void {
    const ids = this.cluster.nodes.map((node) => node.id);
    cutRandomPartition(
      this.random,
      ids,
      () => this.chooseVictim(this.cluster.nodes).id,
      (from, to) => this.network.cut(from, to),
    );
    this.partitionEndsAtStep = step + intBetween(this.random, 1, this.world.partitionStepsMax);
    this.coverage.partitions++;
  }

  private heal(): void {
    this.network.healAll();
    this.partitionEndsAtStep = undefined;
  }

  private changeMembership(): void {
    const leader = this.cluster.leader(pick(this.random, this.cluster.groupIds));
    if (leader === undefined) return;
    const membership = leader.status().membership;
    if (isJoint(membership)) return;
    const changes = this.chooseChange(membership.voters, membership.learners);
    if (changes !== undefined) leader.raft.changeMembership(changes);
  }

  private chooseChange(
    voters: readonly NodeId[],
    learners: readonly NodeId[],
  ): NodeChange[] | undefined {
    const members = allMembers({ voters, votersOutgoing: [], learners, learnersNext: [] });
    const outsiders = this.cluster.nodes
      .map((node) => node.id)
      .filter((id) => !members.includes(id));
    const canShrink = voters.length > voterFloor(this.world);
    const options: (() => NodeChange[])[] = [];
    if (outsiders.length > 0)
      options.push(() => [{ type: "add-learner", nodeId: pick(this.random, outsiders) }]);
    if (learners.length > 0) {
      options.push(() => [{ type: "add-voter", nodeId: pick(this.random, learners) }]);
      options.push(() => [{ type: "remove", nodeId: pick(this.random, learners) }]);
    }
    if (canShrink) {
      options.push(() => [{ type: "remove", nodeId: pick(this.random, voters) }]);
      options.push(() => [{ type: "add-learner", nodeId: pick(this.random, voters) }]);
    }
    const candidates = [...learners, ...outsiders];
    if (candidates.length > 0) {
      options.push(() => [
        { type: "add-voter", nodeId: pick(this.random, candidates) },
        { type: "remove", nodeId: pick(this.random, voters) },
      ]);
    }
    return options.length === 0 ? undefined : pick(this.random, options)();
  }

  private transferLeadership(): void {
    const groupId = pick(this.random, this.cluster.groupIds);
    const leader = this.cluster.leader(groupId);
    if (leader === undefined) return;
    const status = leader.status();
    const others = status.membership.voters.filter((id) => id !== leader.nodeId);
    if (others.length === 0) return;
    const target = pick(this.random, others);
    const outcome = leader.raft.transferLeadership(target);
    if (outcome.type === "pending") this.transfers.set(groupId, { target, term: status.term });
  }
}
