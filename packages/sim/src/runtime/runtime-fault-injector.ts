/**
 * The runtime mode's adversary, at the odds its world sets: it crashes hosts (at most a minority
 * down at once; a crash sometimes keeps a torn prefix of the unsynced transactions, and some
 * land between an fsync and its return), restarts
 * them when due, starts and heals partitions (an isolated node, a split, or one-way cuts), and
 * asks leaders to hand their leadership over (`node.transferLeadership`).
 * Its own random stream: the core mode's fault injector and its draw order are untouched.
 */
import type { NodeId, SeededRandom } from "@flotilla/raft";
import {
  isNotLeaderError,
  isOverloadedError,
  isProposalTimeoutError,
  isStoppedError,
} from "@flotilla/runtime";
import { intBetween, pick } from "../random-choice.js";
import type { BatchNetwork } from "./batch-network.js";
import { describeError } from "./describe-error.js";
import type { FutureLedger, FutureRecord } from "./future-ledger.js";
import type { HostChecker } from "./host-checker.js";
import type { RuntimeCluster, SimHostSlot } from "./runtime-cluster.js";
import type { RuntimeCoverage } from "./runtime-coverage.js";
import type { RuntimeWorld } from "./runtime-world.js";
import { cutRandomPartition } from "../random-partition.js";

/** Injects faults into one runtime-mode run. */
export class RuntimeFaultInjector {
  private partitionEndsAtStep: number | undefined;
  /** groupId → the transfer asked for and the term it was asked in. */
  private readonly transfers = new Map<string, { target: NodeId; term: number }>();

  constructor(
    private readonly world: RuntimeWorld,
    private readonly random: SeededRandom,
    private readonly cluster: RuntimeCluster,
    private readonly network: BatchNetwork,
    private readonly coverage: RuntimeCoverage,
    private readonly ledger: FutureLedger,
    private readonly checker: HostChecker,
    /** How long after the call (host clock ms) a transfer's future must have settled. */
    private readonly futureDueMs: number,
  ) {}

  /** One step of the safety phase. */
  async step(step: number): Promise<void> {
    const { world, random } = this;
    await this.restartDue(step);
    if (random.chance(world.crashOdds)) this.crashOne(step);
    if (this.partitionEndsAtStep !== undefined && step >= this.partitionEndsAtStep) this.heal();
    if (this.partitionEndsAtStep === undefined && random.chance(world.partitionOdds))
      this.partition(step);
    this.countTransfers();
    if (random.chance(world.transferOdds)) this.transferLeadership();
  }

  /**
   * Between an fsync and its return: a host whose writes just became durable may die before it
   * learns so (it never sends what those writes allowed). Same odds as a crash at a step's start.
   */
  afterSync(step: number): void {
    if (!this.random.chance(this.world.crashOdds)) return;
    const synced = this.cluster
      .liveSlots()
      .filter((slot) => (slot.live?.storage.unacknowledgedCount() ?? 0) > 0);
    if (synced.length > 0) this.crashOne(step, synced);
  }

  /** The liveness phase begins: every link healed, every node up. */
  async stopAll(): Promise<void> {
    this.heal();
    for (const slot of this.cluster.slots) await this.cluster.start(slot);
  }

  private async restartDue(step: number): Promise<void> {
    for (const slot of this.cluster.slots) {
      if (slot.live === undefined && step >= slot.restartAtStep) await this.cluster.start(slot);
    }
  }

  private crashOne(step: number, candidates?: readonly SimHostSlot[]): void {
    const up = this.cluster.liveSlots();
    const downMax = Math.floor((this.world.nodes - 1) / 2);
    if (this.world.nodes - up.length >= downMax) return;
    const victim = this.cluster.chooseVictim(this.random, candidates ?? up);
    const unsynced = victim.live?.storage.unsyncedCount() ?? 0;
    const kept =
      unsynced > 0 && this.random.chance(this.world.tornWriteOdds)
        ? this.random.nextInt(unsynced)
        : 0;
    const restartAtStep = step + intBetween(this.random, 1, this.world.downStepsMax);
    this.coverage.lostWrites += this.cluster.crash(victim, kept, restartAtStep);
    this.coverage.crashes++;
  }

  /** Asks a group's leader to hand over to another member, through `node.transferLeadership`. */
  private transferLeadership(): void {
    const groupId = pick(this.random, this.cluster.groupIds);
    const leader = this.cluster.leaderAndTerm(groupId);
    const host = leader === undefined ? undefined : this.cluster.host(leader.replica.nodeId);
    if (leader === undefined || host === undefined) return;
    const others = this.cluster.members(groupId).filter((id) => id !== leader.replica.nodeId);
    const target = pick(this.random, others);
    this.transfers.set(groupId, { target, term: leader.term });
    const record = this.ledger.track(
      "transfer",
      leader.replica.nodeId,
      leader.replica.incarnation,
      leader.replica.nowMs() + this.futureDueMs,
    );
    void host.transferLeadership(groupId, target).then(
      () => this.settle(record, undefined),
      (error: unknown) => this.settle(record, error),
    );
  }

  private settle(record: FutureRecord, error: unknown): void {
    const problem = this.ledger.settle(record);
    if (problem !== undefined) this.checker.fail(problem);
    if (
      error !== undefined &&
      !isNotLeaderError(error) &&
      !isOverloadedError(error) &&
      !isStoppedError(error) &&
      !isProposalTimeoutError(error)
    ) {
      this.checker.fail(`transferLeadership rejected with ${describeError(error)}`);
    }
  }

  /** Counts the transfers that made their target leader; forgets the ones that cannot now. */
  private countTransfers(): void {
    for (const [groupId, transfer] of this.transfers) {
      const leader = this.cluster.leaderAndTerm(groupId);
      if (leader === undefined || leader.term <= transfer.term) continue;
      if (leader.replica.nodeId === transfer.target) this.coverage.transfers++;
      this.transfers.delete(groupId);
    }
  }

  private partition(step: number): void {
    const ids = this.cluster.slots.map((slot) => slot.id);
    cutRandomPartition(
      this.random,
      ids,
      () => pick(this.random, ids),
      (from, to) => this.network.cut(from, to),
    );
    this.partitionEndsAtStep = step + intBetween(this.random, 1, this.world.partitionStepsMax);
    this.coverage.partitions++;
  }

  private heal(): void {
    this.network.healAll();
    this.partitionEndsAtStep = undefined;
  }
}
