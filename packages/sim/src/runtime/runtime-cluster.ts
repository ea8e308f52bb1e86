/**
 * The simulated cluster of real hosts: one {@link FlotillaNode} per node, each over its own
 * {@link SimNodeStorage} (on the node's {@link SimDisk}), {@link SimTransport} (on the shared
 * {@link BatchNetwork}) and drifting {@link ManualClock}. A crash abandons the FlotillaNode as a
 * kill would — its transport cut, its clock stopped, its pending writes never resolved and its
 * unsynced ones lost — and a restart starts a new FlotillaNode over what the disk kept.
 */
import { nodeId as toNodeId, type NodeId, type SeededRandom } from "@flotilla/raft";
import { FlotillaNode, type FlotillaNodeOptions, type LeadershipEvent } from "@flotilla/runtime";
import type { GroupStorage, NodeStorage } from "@flotilla/storage-lmdb";
import { childSeed, pick } from "../random-choice.js";
import type { BatchNetwork } from "./batch-network.js";
import { CheckedKv } from "./checked-kv.js";
import { CommittedStreamCheck } from "./committed-stream-check.js";
import { describeError } from "./describe-error.js";
import { DriftingTime } from "./drifting-time.js";
import type { FutureLedger } from "./future-ledger.js";
import type { HostChecker } from "./host-checker.js";
import type { LeaderWorkCheck } from "./leader-work-check.js";
import type { ClientView, KvGroup, LiveReplica } from "./runtime-client.js";
import type { RuntimeCoverage } from "./runtime-coverage.js";
import type { RuntimeWorld } from "./runtime-world.js";
import { SimDisk } from "./sim-disk.js";
import { withLostTail, type LostTail } from "./lost-tail-storage.js";
import { SimNodeStorage } from "./sim-node-storage.js";
import { SimTransport } from "./sim-transport.js";

/** Lets a test put a (deliberately broken) storage between the host and its SimNodeStorage. */
export type StorageWrapper = (storage: SimNodeStorage) => NodeStorage;

/** Macrotask turns a settle may take before the hosts are declared stuck. */
export const SETTLE_TURNS_MAX = 2000;

/** One live incarnation of a node's host. */
interface LiveHost {
  readonly incarnation: number;
  readonly node: FlotillaNode;
  readonly storage: SimNodeStorage;
  readonly transport: SimTransport;
  readonly groups: Map<string, KvGroup>;
  /** The latest leadership event of each group on this host. */
  readonly leadership: Map<string, LeadershipEvent>;
  /** `leadership$` and `committed$` subscriptions, dropped on a crash. */
  readonly subscriptions: { unsubscribe(): void }[];
}

/** A node: its disk and time persist across incarnations. */
export interface SimHostSlot {
  readonly id: NodeId;
  readonly disk: SimDisk;
  readonly time: DriftingTime;
  incarnations: number;
  restartAtStep: number;
  live: LiveHost | undefined;
}

/** Everything the cluster is built from. */
export interface RuntimeClusterOptions {
  readonly world: RuntimeWorld;
  readonly random: SeededRandom;
  readonly network: BatchNetwork;
  readonly checker: HostChecker;
  readonly ledger: FutureLedger;
  readonly coverage: RuntimeCoverage;
  readonly workCheck: LeaderWorkCheck;
  /** Draws the injected disk errors (its own stream: writes happen inside the hosts' rounds). */
  readonly diskRandom: SeededRandom;
  readonly step: () => number;
  readonly wrapStorage: StorageWrapper | undefined;
}

/** The hosts of one run. */
export class RuntimeCluster {
  readonly slots: readonly SimHostSlot[];
  readonly groupIds: readonly string[];
  private readonly membersOf = new Map<string, readonly NodeId[]>();
  /** Whether disks may fail writes (the safety phase only). */
  diskErrors = true;
  /**
   * Draws the damaged-disk restarts (a log that lost its tail below the applied index); none
   * while unset. Its own stream, set after the run's other streams are drawn.
   */
  lostTailRandom: SeededRandom | undefined;

  constructor(private readonly options: RuntimeClusterOptions) {
    const { world, random } = options;
    const tickMs = world.stepsPerTick * world.stepMs;
    this.slots = Array.from({ length: world.nodes }, (_, i) => {
      const drift =
        world.clockDriftPercent === 0
          ? 0
          : (random.nextFloat() * 2 - 1) * (world.clockDriftPercent / 100);
      return {
        id: toNodeId(`n${i + 1}`),
        disk: new SimDisk(),
        time: new DriftingTime(world.stepMs * (1 + drift), random.nextInt(tickMs)),
        incarnations: 0,
        restartAtStep: 0,
        live: undefined,
      };
    });
    const ids = this.slots.map((slot) => slot.id);
    const groupIds: string[] = [];
    for (let g = 0; g < world.groups; g++) {
      const groupId = `g${g + 1}`;
      groupIds.push(groupId);
      const members = [...ids];
      while (members.length > 3) members.splice(random.nextInt(members.length), 1);
      this.membersOf.set(groupId, members);
    }
    this.groupIds = groupIds;
  }

  /** The voters of `groupId`. */
  members(groupId: string): readonly NodeId[] {
    return this.membersOf.get(groupId) ?? [];
  }

  /** The slot of node `id`. */
  slot(id: NodeId): SimHostSlot {
    const slot = this.slots.find((candidate) => candidate.id === id);
    if (slot === undefined) throw new RangeError(`no node ${id}`);
    return slot;
  }

  /** The disk of node `id`. */
  disk(id: NodeId): SimDisk {
    return this.slot(id).disk;
  }

  /** Starts a new host incarnation on `slot` over what its disk holds, hosting its groups. */
  async start(slot: SimHostSlot): Promise<void> {
    if (slot.live !== undefined) return;
    const { checker } = this.options;
    const incarnation = ++slot.incarnations;
    const storage = new SimNodeStorage(
      slot.disk,
      (what, error) =>
        checker.fail(
          `${slot.id}#${incarnation} asked for an invalid ${what}: ${describeError(error)}`,
        ),
      () => this.diskFailsNow(),
    );
    const transport = new SimTransport(
      slot.id,
      this.options.network,
      this.options.step,
      (_to, batch) => checker.sent(slot.id, (groupId) => storage.group(groupId), batch),
    );
    const lostTail = incarnation > 1 ? this.chooseLostTail(slot) : undefined;
    const options = this.hostOptions(slot, storage, transport);
    const node = await FlotillaNode.start(
      lostTail === undefined
        ? options
        : { ...options, storage: withLostTail(options.storage, lostTail) },
    );
    const live: LiveHost = {
      incarnation,
      node,
      storage,
      transport,
      groups: new Map(),
      leadership: new Map(),
      subscriptions: [],
    };
    live.subscriptions.push(
      node.leadership$.subscribe({
        next: (event) => {
          live.leadership.set(event.groupId, event);
          checker.leadership(slot.id, event);
        },
        complete: () => this.stopped(slot, live),
      }),
    );
    slot.live = live;
    for (const groupId of this.groupIds) {
      if (!this.members(groupId).includes(slot.id)) continue;
      if (lostTail?.groupId === groupId) {
        await this.hostDamaged(slot, live, lostTail);
        return;
      }
      await this.hostGroup(slot, live, groupId);
    }
  }

  /**
   * Whether this restart finds a damaged disk: with the world's odds, one of the node's groups
   * whose stored snapshot is past index 0 lost the log below it (and the tail after it).
   */
  private chooseLostTail(slot: SimHostSlot): LostTail | undefined {
    const random = this.lostTailRandom;
    if (random === undefined || !random.chance(this.options.world.lostTailOdds)) return undefined;
    const candidates = this.groupIds.filter(
      (groupId) =>
        this.members(groupId).includes(slot.id) &&
        (slot.disk.durableGroup(groupId)?.snapshot().metadata.index ?? 0) > 0,
    );
    if (candidates.length === 0) return undefined;
    const groupId = pick(random, candidates);
    const appliedIndex = slot.disk.durableGroup(groupId)?.snapshot().metadata.index ?? 0;
    return { groupId, appliedIndex, lastIndex: random.nextInt(appliedIndex) };
  }

  /**
   * Hosts the damaged group: the replica must refuse to start with StorageInconsistencyError
   * (fail-stop, never acknowledging entries it lost). The host then goes down, as an operator
   * would take it down, and comes back later on its sound disk.
   */
  private async hostDamaged(slot: SimHostSlot, live: LiveHost, tail: LostTail): Promise<void> {
    const { checker, coverage, world } = this.options;
    const random = this.lostTailRandom ?? this.options.random;
    const who = `${slot.id}#${live.incarnation} (group ${tail.groupId}, log ending at ${tail.lastIndex}, applied ${tail.appliedIndex})`;
    try {
      await this.hostGroup(slot, live, tail.groupId);
      checker.fail(`restart on a log that lost its tail: ${who} started instead of refusing`);
    } catch (error) {
      if (error instanceof Error && error.name === "StorageInconsistencyError") {
        coverage.lostTailRefusals++;
      } else {
        checker.fail(
          `restart on a log that lost its tail: ${who} failed without StorageInconsistencyError: ${describeError(error)}`,
        );
      }
    }
    const downSteps = 1 + random.nextInt(4 * world.electionTicks * world.stepsPerTick);
    this.crash(slot, 0, this.options.step() + downSteps);
  }

  /** The host's options: the world's bounds and timings, over the simulated I/O. */
  private hostOptions(
    slot: SimHostSlot,
    storage: SimNodeStorage,
    transport: SimTransport,
  ): FlotillaNodeOptions {
    const { world } = this.options;
    const tickIntervalMs = world.stepsPerTick * world.stepMs;
    return {
      nodeId: slot.id,
      storage: this.options.wrapStorage?.(storage) ?? storage,
      transport,
      clock: slot.time.newClock(),
      tickIntervalMs,
      electionTicks: world.electionTicks,
      heartbeatTicks: world.heartbeatTicks,
      mailboxMessagesMax: world.mailboxMessagesMax,
      pendingProposalsPerGroupMax: world.pendingProposalsPerGroupMax,
      proposalTimeoutMs: world.proposalTimeoutTicks * tickIntervalMs,
      snapshotEntriesThreshold: world.snapshotEntries,
      compactionTrailingEntries: world.snapshotTrailing,
      randomSeed: childSeed(this.options.random),
    };
  }

  /** Hosts `groupId` on `live` with a checked state machine, stream and leader-only work. */
  private async hostGroup(slot: SimHostSlot, live: LiveHost, groupId: string): Promise<void> {
    const { checker, coverage, workCheck } = this.options;
    const { node, storage, incarnation } = live;
    const kv = new CheckedKv({ nodeId: slot.id, groupId, incarnation }, checker);
    const group: KvGroup = await node.group(groupId, {
      members: this.members(groupId),
      stateMachine: kv,
    });
    kv.markStarted();
    live.groups.set(groupId, group);
    // The first incarnation follows from the start; later ones from a random applied index.
    const fromIndex =
      incarnation === 1 ? 1 : 1 + this.options.random.nextInt(checker.appliedMax(groupId) + 1);
    const stopping = (): boolean => storage.injectedFailures > 0;
    const check = new CommittedStreamCheck(kv.replica, fromIndex, checker, coverage, stopping);
    live.subscriptions.push(group.committed$({ fromIndex }).subscribe(check));
    live.subscriptions.push(
      node.leaderOnly(groupId, (context) =>
        workCheck.start(slot.id, incarnation, groupId, context, slot.time, this.slots),
      ),
    );
  }

  /** `live`'s `leadership$` completed: the host stopped, which only a disk error may cause. */
  private stopped(slot: SimHostSlot, live: LiveHost): void {
    if (slot.live !== live) return;
    if (live.storage.injectedFailures === 0) {
      this.options.checker.fail(`${slot.id}#${live.incarnation} stopped by itself`);
      return;
    }
    // It fail-stopped on the disk error, as it must: down until restarted.
    const { world, random, coverage } = this.options;
    coverage.diskFailures++;
    const downSteps = 1 + random.nextInt(4 * world.electionTicks * world.stepsPerTick);
    this.retire(slot, this.options.step() + downSteps);
  }

  /**
   * Kills `slot`'s host: the first `keptOps` unsynced transactions reach the disk anyway, the
   * rest are lost. Returns how many were lost.
   */
  crash(slot: SimHostSlot, keptOps: number, restartAtStep: number): number {
    const live = this.retire(slot, restartAtStep);
    if (live === undefined) return 0;
    this.options.ledger.abandon(slot.id, live.incarnation);
    return live.storage.crash(keptOps);
  }

  /** Takes `slot`'s host out of the cluster (crashed or stopped) until `restartAtStep`. */
  private retire(slot: SimHostSlot, restartAtStep: number): LiveHost | undefined {
    const live = slot.live;
    if (live === undefined) return undefined;
    slot.live = undefined;
    slot.restartAtStep = restartAtStep;
    for (const subscription of live.subscriptions) subscription.unsubscribe();
    live.transport.cut();
    slot.time.stopClock();
    this.options.workCheck.crashed(slot.id, live.incarnation);
    return live;
  }

  /**
   * Whether the write being issued fails with an I/O error: at the world's odds, and only while
   * every node is up (so at most a minority is ever down).
   */
  private diskFailsNow(): boolean {
    const { world, diskRandom } = this.options;
    if (!this.diskErrors || !diskRandom.chance(world.diskErrorOdds)) return false;
    return this.slots.every(
      (slot) => slot.live !== undefined && slot.live.storage.injectedFailures === 0,
    );
  }

  /** Hands every batch due by `step` to its (live) destination. */
  deliver(step: number): void {
    for (const envelope of this.options.network.deliverDue(step)) {
      this.slot(envelope.to).live?.transport.deliver(envelope.batch);
    }
  }

  /** One step of time on every node (live clocks fire their timers). */
  advanceClocks(): void {
    for (const slot of this.slots) slot.time.step();
  }

  /** Each live disk commits what was written with `odds` (readable now, not yet durable). */
  commitSome(random: SeededRandom, odds: number): void {
    for (const slot of this.slots) {
      if (slot.live !== undefined && random.chance(odds)) slot.live.storage.commit();
    }
  }

  /** Each live disk syncs with `odds` (durable now; the hosts learn it at acknowledgeSyncs). */
  syncSome(random: SeededRandom, odds: number): void {
    for (const slot of this.slots) {
      if (slot.live !== undefined && random.chance(odds)) slot.live.storage.sync();
    }
  }

  /** The fsyncs return: every live host's synced writes resolve. */
  acknowledgeSyncs(): void {
    for (const slot of this.slots) slot.live?.storage.acknowledge();
  }

  /**
   * Lets the hosts run until each is idle or waits for its disk, for two turns in a row. A
   * host still busy after {@link SETTLE_TURNS_MAX} turns is a violation, not a hang.
   */
  async settle(): Promise<void> {
    let quietTurns = 0;
    for (let turn = 0; turn < SETTLE_TURNS_MAX; turn++) {
      await nextMacrotask();
      if (this.quiescent()) {
        if (++quietTurns >= 2) return;
      } else {
        quietTurns = 0;
      }
    }
    const busy = this.slots.filter((slot) => slot.live !== undefined && !this.quiet(slot));
    this.options.checker.fail(
      `host never settled: ${busy.map((slot) => slot.id).join(", ")} still busy after ${SETTLE_TURNS_MAX} turns`,
    );
  }

  /** Live hosts. */
  liveSlots(): SimHostSlot[] {
    return this.slots.filter((slot) => slot.live !== undefined);
  }

  /** What a client of `groupId` sees. */
  view(groupId: string): ClientView {
    return {
      replica: (id) => this.liveReplica(this.slot(id), groupId),
      liveReplicas: () => {
        const replicas: LiveReplica[] = [];
        for (const id of this.members(groupId)) {
          const replica = this.liveReplica(this.slot(id), groupId);
          if (replica !== undefined) replicas.push(replica);
        }
        return replicas;
      },
    };
  }

  /** The latest leadership event of `groupId` on node `id`'s live host. */
  latestLeadership(id: NodeId, groupId: string): LeadershipEvent | undefined {
    return this.slot(id).live?.leadership.get(groupId);
  }

  /** The live host of node `id`, if it is up. */
  host(id: NodeId): FlotillaNode | undefined {
    return this.slot(id).live?.node;
  }

  /** What node `id`'s live host can read of `groupId` now (its committed transactions). */
  readableGroup(id: NodeId, groupId: string): GroupStorage | undefined {
    return this.slot(id).live?.storage.group(groupId);
  }

  /** The live replica that says it leads `groupId` in the highest term, if any. */
  leader(groupId: string): LiveReplica | undefined {
    return this.leaderAndTerm(groupId)?.replica;
  }

  /** {@link leader}, with the term it leads in. */
  leaderAndTerm(groupId: string): { replica: LiveReplica; term: number } | undefined {
    let best: { replica: LiveReplica; term: number } | undefined;
    for (const id of this.members(groupId)) {
      const slot = this.slot(id);
      const event = slot.live?.leadership.get(groupId);
      const replica = this.liveReplica(slot, groupId);
      if (event?.role !== "leader" || replica === undefined) continue;
      if (best === undefined || event.term > best.term) best = { replica, term: event.term };
    }
    return best;
  }

  /** One live node, chosen with `random`, preferring leaders or nodes with unsynced writes. */
  chooseVictim(random: SeededRandom, candidates: readonly SimHostSlot[]): SimHostSlot {
    const roll = random.nextInt(4);
    const leaders =
      roll < 2
        ? candidates.filter((slot) =>
            [...(slot.live?.leadership.values() ?? [])].some((e) => e.role === "leader"),
          )
        : [];
    if (leaders.length > 0) return pick(random, leaders);
    const unsynced =
      roll === 2 ? candidates.filter((slot) => (slot.live?.storage.unsyncedCount() ?? 0) > 0) : [];
    if (unsynced.length > 0) return pick(random, unsynced);
    return pick(random, candidates);
  }

  private liveReplica(slot: SimHostSlot, groupId: string): LiveReplica | undefined {
    const live = slot.live;
    const group = live?.groups.get(groupId);
    if (live === undefined || group === undefined) return undefined;
    return {
      nodeId: slot.id,
      incarnation: live.incarnation,
      group,
      nowMs: () => slot.time.now(),
    };
  }

  private quiescent(): boolean {
    return this.slots.every((slot) => slot.live === undefined || this.quiet(slot));
  }

  private quiet(slot: SimHostSlot): boolean {
    const live = slot.live;
    return live === undefined || live.node.isIdle() || live.storage.unsyncedCount() > 0;
  }
}

/** Lets every queued macrotask (the hosts' rounds) and the microtasks they start run. */
function nextMacrotask(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
