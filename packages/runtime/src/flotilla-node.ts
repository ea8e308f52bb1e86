/**
 * A node: the host of this process's replicas. It runs in rounds — drain mailboxes and ticks,
 * collect every dirty replica's Ready, one storage write for all (group commit), one batch per
 * destination node, apply, settle futures and emit, advance — one round in flight at a time,
 * the next started while inputs are pending. One timer for the whole node drives the ticks.
 */
import { Subject, Subscription, type Observable } from "rxjs";
import type { Logger } from "pino";
import {
  Raft,
  SeededRandom,
  isValidId,
  membershipOf,
  type HardState,
  type NodeChange,
  type NodeId,
  type Role,
  type SoftState,
} from "@flotilla/raft";
import type { TimerHandle } from "./clock.js";
import { InvalidIdError, GroupNotFoundError, StoppedError } from "./errors/errors.js";
import { coldPropose } from "./cold-propose.js";
import type { Group, RequestOptions } from "./group.js";
import { leaseDurationMs } from "./leader-lease.js";
import type { LeaderWork } from "./leader-workers.js";
import {
  replicaSeed,
  resolveOptions,
  type FlotillaNodeOptions,
  type ResolvedNodeOptions,
} from "./node-options.js";
import { planLeaderTransfers } from "./leader-balance.js";
import { NodeLiveness } from "./node-liveness.js";
import { Pending } from "./pending.js";
import { encodePlain, encodeSession, type SessionHeader } from "./sessions/command-envelope.js";
import { admitProposal, watchSignal } from "./admission.js";
import { Replica, type AppliedBatch, type ReplicaStatus } from "./replica.js";
import { readCommittedPage, type CommittedPage } from "./committed-page.js";
import type { GroupBootstrap } from "./node-storage.js";
import { persistSendApply, type ReplicaReady } from "./round.js";
import { bytesCodec, type Codec, type StateMachine } from "./state-machine.js";
import type { RaftBatch, Unsubscribe } from "./transport.js";

/** A leadership change of any group on this node (`node.leadership$`). */
export interface LeadershipEvent {
  readonly groupId: string;
  readonly leaderId: string | undefined;
  readonly term: number;
  /** This replica's role now. */
  readonly role: Role;
}

/** How to host a group on this node. */
export interface GroupOptions<Command, Result, Query, QueryResult> {
  /** The voters the group starts with when it is created (ignored when it already exists). */
  readonly members: readonly string[];
  readonly stateMachine: StateMachine<Command, Result, Query, QueryResult>;
  /** Commands to bytes and back (default: commands are `Uint8Array`s, passed as they are). */
  readonly codec?: Codec<Command>;
}

/** Counters of the round loop, for tests and metrics. */
export interface NodeStats {
  readonly rounds: number;
  readonly storageWrites: number;
  /** Batches carrying Raft messages (node-level liveness pings are counted apart). */
  readonly batchesSent: number;
  /** Empty batches sent as node-level liveness pings. */
  readonly livenessPings: number;
  /** Replicas hosted here. */
  readonly replicas: number;
  /** Replicas whose group sleeps (quiescence): no ticks, no heartbeats. */
  readonly quiescedReplicas: number;
}

const NO_PEERS: ReadonlySet<NodeId> = new Set();

/**
 * A Flotilla node hosting many groups.
 *
 * @example
 * const network = new InMemoryNetwork();
 * const node = await FlotillaNode.start({
 *   nodeId: "n1",
 *   storage: new MemoryNodeStorage(),
 *   transport: network.endpoint(nodeId("n1")),
 * });
 * const counter = await node.group("counter", { members: ["n1"], stateMachine, codec });
 * await counter.propose(1);
 * await node.stop();
 */
export class FlotillaNode {
  readonly nodeId: NodeId;
  private readonly options: ResolvedNodeOptions;
  private readonly logger: Logger;
  private readonly replicas = new Map<string, Replica>();
  private readonly dirty = new Set<Replica>();
  /** Groups whose `group()` call is creating them in storage. */
  private readonly starting = new Set<string>();
  private readonly leadershipSubject = new Subject<LeadershipEvent>();
  private readonly appliedSubject = new Subject<AppliedBatch>();
  private readonly timer: TimerHandle;
  private readonly balanceTimer: TimerHandle | undefined;
  private readonly unsubscribeTransport: Unsubscribe;
  private state: "running" | "stopping" | "stopped" = "running";
  private pendingTicks = 0;
  private roundScheduled = false;
  private roundInFlight: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private pendingProposals = 0;
  private readCount = 0;
  /** Snapshots being stored in the background (never rejecting). */
  private readonly snapshotsInFlight = new Set<Promise<void>>();
  /** Groups to create in the next storage transaction (see createGroup). */
  private creating: { groups: GroupBootstrap[]; done: Promise<void> } | undefined;
  /** Replicas whose commit-only hard state waits for the next write (see round.ts). */
  private readonly deferredHardStates = new Map<Replica, HardState>();
  private counters = { rounds: 0, storageWrites: 0, batchesSent: 0, livenessPings: 0 };
  private readonly liveness: NodeLiveness;
  /** Ticks since start: paces liveness pings and the refresh of the peer set. */
  private tickCount = 0;
  /** The clock reading ticks are counted from (see {@link ticksDue}). */
  private readonly tickOriginMs: number;
  /** Whole tick intervals since {@link tickOriginMs} already accounted for. */
  private intervalsCounted = 0;
  /** Peers judged dead at the last check, joined for the log line on a change. */
  private deadPeers = "";

  private constructor(options: ResolvedNodeOptions) {
    this.options = options;
    this.nodeId = options.nodeId as NodeId;
    this.logger = options.logger.child({ nodeId: options.nodeId });
    this.liveness = new NodeLiveness(
      options.electionTicks * options.tickIntervalMs,
      options.clock.now(),
    );
    this.unsubscribeTransport = options.transport.onBatch((batch) => this.receive(batch));
    this.tickOriginMs = options.clock.now();
    this.timer = options.clock.setInterval(() => {
      this.pendingTicks++;
      this.kick();
    }, options.tickIntervalMs);
    this.balanceTimer =
      options.leaderBalanceIntervalMs > 0
        ? options.clock.setInterval(() => this.rebalance(), options.leaderBalanceIntervalMs)
        : undefined;
  }

  /**
   * Starts a node over the given storage and transport. Groups already in storage are not
   * started until `group()` is called for them with their state machine.
   *
   * @throws {InvalidIdError} when `nodeId` is not `[A-Za-z0-9_-]{1,64}`.
   */
  static start(options: FlotillaNodeOptions): Promise<FlotillaNode> {
    if (!isValidId(options.nodeId)) {
      return Promise.reject(new InvalidIdError("node", options.nodeId));
    }
    return Promise.resolve(new FlotillaNode(resolveOptions(options)));
  }

  /** Every leadership change of every group on this node (a hot stream; completes on stop). */
  get leadership$(): Observable<LeadershipEvent> {
    return this.leadershipSubject.asObservable();
  }

  /**
   * What each round applied, per group: the index range it covers (`after`, `through`] and its
   * application entries — for publishing committed streams to remote subscribers (no-op and
   * configuration entries are covered by the range but carry no event). A hot stream; completes
   * on stop.
   */
  get applied$(): Observable<AppliedBatch> {
    return this.appliedSubject.asObservable();
  }

  /**
   * A page of `groupId`'s committed history from `fromIndex` (a snapshot event first when the
   * log is compacted past it), up to `maxBytes` of entries, never past the local applied index
   * nor past what this replica's storage holds (an applied entry whose local write is still in
   * flight waits for the next page); see committed-page.ts.
   *
   * @throws {GroupNotFoundError} when the group is not hosted here.
   */
  readCommitted(groupId: string, fromIndex: number, maxBytes: number): CommittedPage {
    const replica = this.replicas.get(groupId);
    if (replica === undefined) throw new GroupNotFoundError(groupId);
    const bound = { appliedIndex: replica.appliedIndex(), storedIndex: replica.raft.storedIndex() };
    return readCommittedPage(replica.storage, bound, fromIndex, maxBytes);
  }

  /** Round counters, and how many replicas sleep. */
  stats(): NodeStats {
    let quiescedReplicas = 0;
    for (const replica of this.replicas.values()) if (replica.quiesced) quiescedReplicas++;
    return { ...this.counters, replicas: this.replicas.size, quiescedReplicas };
  }

  /**
   * True when no round is in flight or scheduled and no input or tick waits: what a test or a
   * simulator checks before moving time on.
   */
  isIdle(): boolean {
    if (this.state !== "running") return this.roundInFlight === undefined;
    return (
      this.roundInFlight === undefined &&
      this.snapshotsInFlight.size === 0 &&
      !this.roundScheduled &&
      this.dirty.size === 0 &&
      this.pendingTicks === 0
    );
  }

  /** The ids of the groups hosted here. */
  groupIds(): string[] {
    return [...this.replicas.keys()];
  }

  /**
   * Hosts `groupId` on this node: creates it in storage (with `members`) unless it exists,
   * restores the state machine from the stored snapshot, and starts its replica.
   *
   * @throws {InvalidIdError} for a malformed group or member id; {@link StoppedError} after stop.
   */
  async group<Command = Uint8Array, Result = unknown, Query = never, QueryResult = never>(
    groupId: string,
    options: GroupOptions<Command, Result, Query, QueryResult>,
  ): Promise<Group<Command, Result, Query, QueryResult>> {
    if (!isValidId(groupId)) throw new InvalidIdError("group", groupId);
    for (const member of options.members) {
      if (!isValidId(member)) throw new InvalidIdError("node", member);
    }
    if (this.state !== "running") throw new StoppedError(this.nodeId);
    if (this.replicas.has(groupId) || this.starting.has(groupId)) {
      throw new Error(`group ${groupId} is already hosted here`);
    }
    const storage = this.options.storage;
    const members = options.members.map((member) => member as NodeId);
    this.starting.add(groupId);
    try {
      await this.createGroup({ groupId, membership: membershipOf(members) });
    } finally {
      this.starting.delete(groupId);
    }
    // The node may have stopped while the group was being created.
    if (this.state !== "running") throw new StoppedError(this.nodeId);
    const groupStorage = storage.group(groupId);
    if (groupStorage === undefined) throw new GroupNotFoundError(groupId);
    const snapshot = groupStorage.snapshot();
    const codec = options.codec ?? (bytesCodec as unknown as Codec<Command>);
    const replica = new Replica({
      nodeId: this.nodeId,
      groupId,
      raft: new Raft({
        id: this.nodeId,
        storage: groupStorage,
        random: new SeededRandom(replicaSeed(this.nodeId, groupId, this.options.randomSeed)),
        electionTicks: this.options.electionTicks,
        heartbeatTicks: this.options.heartbeatTicks,
        proposalForwarding: "reject",
        appliedIndex: snapshot.metadata.index,
      }),
      storage: groupStorage,
      nodeStorage: storage,
      snapshotPolicy: {
        entriesThreshold: this.options.snapshotEntriesThreshold,
        bytesThreshold: this.options.snapshotBytesThreshold,
        trailingEntries: this.options.compactionTrailingEntries,
      },
      onSnapshotStored: (stored) => this.touch(stored),
      stateMachine: options.stateMachine,
      decode: (bytes) => codec.decode(bytes),
      mailboxMessagesMax: this.options.mailboxMessagesMax,
      committedBufferMax: this.options.committedBufferMax,
      deposedProposalGraceMs: this.options.deposedProposalGraceMs,
      logger: this.logger.child({ groupId }),
      clock: this.options.clock,
      leaseDurationMs: leaseDurationMs(this.options.electionTicks, this.options.tickIntervalMs),
      onRoundWanted: (wanting) => this.touch(wanting),
      onLeadership: (from, softState) => this.leadershipChanged(from, softState),
      onApplied: (batch) => {
        if (this.appliedSubject.observed) this.appliedSubject.next(batch);
      },
    });
    this.replicas.set(groupId, replica);
    this.addPeersOf(replica);
    const propose = (command: Command, requestOptions?: RequestOptions): Promise<Result> =>
      this.propose(
        replica,
        () => encodePlain(codec.encode(command)),
        requestOptions,
      ) as Promise<Result>;
    return {
      groupId,
      leader$: replica.leader$,
      propose,
      propose$: (command, requestOptions) => coldPropose(propose, command, requestOptions),
      read: (query, requestOptions) =>
        this.read(replica, query, requestOptions) as Promise<QueryResult>,
      committed$: (committedOptions) => replica.feed.observable(committedOptions),
    };
  }

  /**
   * Proposes an encoded command on behalf of a remote client, with its session header, so that
   * a retry of the same (client, sequence) applies once and gets the first outcome (Raft
   * dissertation §6.3). For transports serving clients (the NATS client service); applications
   * use `group.propose`. Resolves with the state machine's result, or rejects like `propose`.
   *
   * @throws {GroupNotFoundError} when the group is not hosted here (as a rejection).
   */
  proposeSession(
    groupId: string,
    session: SessionHeader,
    command: Uint8Array,
    requestOptions: RequestOptions = {},
  ): Promise<unknown> {
    const replica = this.replicas.get(groupId);
    if (replica === undefined) return Promise.reject(new GroupNotFoundError(groupId));
    return this.propose(replica, () => encodeSession(session, command), requestOptions, session);
  }

  /** Every hosted replica's state (role, leader, term, commit and applied index, quiesced). */
  status(): ReplicaStatus[] {
    return [...this.replicas.values()].map((replica) => replica.status());
  }

  /** One hosted replica's state, or undefined when `groupId` is not hosted here. */
  groupStatus(groupId: string): ReplicaStatus | undefined {
    return this.replicas.get(groupId)?.status();
  }

  /**
   * Hands the leadership of `groupId` to member `to` (this replica must lead): the leader
   * catches `to` up, then tells it to campaign at once (dissertation §3.10). Resolves when the
   * transfer has started; watch `leader$` for its end (it is abandoned after an election
   * timeout if `to` does not take over).
   *
   * @throws {GroupNotFoundError} when the group is not hosted here; rejects with
   *   `NotLeaderError` when this replica does not lead, `StoppedError` after stop.
   */
  transferLeadership(
    groupId: string,
    to: string,
    requestOptions: RequestOptions = {},
  ): Promise<void> {
    const replica = this.replicas.get(groupId);
    if (replica === undefined) return Promise.reject(new GroupNotFoundError(groupId));
    if (this.state !== "running") return Promise.reject(new StoppedError(this.nodeId));
    if (!isValidId(to)) return Promise.reject(new InvalidIdError("node", to));
    const pending = this.newPending(requestOptions);
    if (!pending.settled && replica.enqueue({ type: "transfer", to: to as NodeId, pending })) {
      this.touch(replica);
    }
    return pending.promise as Promise<void>;
  }

  /**
   * Changes `groupId`'s membership (this replica must lead): add voters or learners, remove
   * members. A change of voters goes through joint consensus, which the leader leaves by
   * itself. Resolves when the change applied here; rejects with
   * `MembershipChangeRefusedError` (`change-pending`: one at a time — retry once the last one
   * applied; `invalid-change`), `NotLeaderError`, `ProposalTimeoutError`, `StoppedError`.
   *
   * @example
   * await node.changeMembership("orders-7", [{ type: "add-learner", nodeId: nodeId("n4") }]);
   */
  changeMembership(
    groupId: string,
    changes: readonly NodeChange[],
    requestOptions: RequestOptions = {},
  ): Promise<void> {
    const replica = this.replicas.get(groupId);
    if (replica === undefined) return Promise.reject(new GroupNotFoundError(groupId));
    if (this.state !== "running") return Promise.reject(new StoppedError(this.nodeId));
    for (const change of changes) {
      if (!isValidId(change.nodeId))
        return Promise.reject(new InvalidIdError("node", change.nodeId));
    }
    const pending = this.newPending(requestOptions);
    if (!pending.settled && replica.enqueue({ type: "membership", changes, pending })) {
      this.touch(replica);
    }
    return pending.promise.then(() => {
      this.refreshPeers();
    });
  }

  /**
   * Stops hosting `groupId` here and deletes its storage: pending requests reject with
   * `GroupNotFoundError`, its streams complete. Remove this node from the group's membership
   * first, or the group still counts on it.
   */
  async removeGroup(groupId: string): Promise<void> {
    const replica = this.replicas.get(groupId);
    if (replica === undefined) throw new GroupNotFoundError(groupId);
    if (this.roundInFlight !== undefined) await this.roundInFlight;
    this.replicas.delete(groupId);
    this.dirty.delete(replica);
    this.deferredHardStates.delete(replica);
    await replica.snapshotSettled();
    replica.close(new GroupNotFoundError(groupId));
    await this.options.storage.removeGroups([groupId]);
    this.refreshPeers();
  }

  /**
   * Sheds this node's leaderships above its fair share (⌈led groups / live nodes⌉) by transfer
   * to the members that lead the fewest; see leader-balance.ts. Every node balancing itself
   * spreads leadership evenly. Returns the number of transfers started. Runs by itself every
   * `leaderBalanceIntervalMs` when that option is set.
   */
  rebalance(): number {
    if (this.state !== "running") return 0;
    const nowMs = this.options.clock.now();
    const views = [...this.replicas.values()].map((replica) => {
      const status = replica.status();
      return { groupId: status.groupId, leaderId: status.leaderId, voters: status.voters };
    });
    const transfers = planLeaderTransfers(this.nodeId, views, (id) =>
      this.liveness.isLive(id as NodeId, nowMs),
    );
    for (const { groupId, to } of transfers) {
      this.transferLeadership(groupId, to).catch((error: unknown) =>
        this.logger.debug({ groupId, to, err: error }, "leader balancing: transfer refused"),
      );
    }
    if (transfers.length > 0) {
      this.logger.info({ transfers: transfers.length }, "leader balancing: transfers started");
    }
    return transfers.length;
  }

  /**
   * Runs `work({ term, signal, leaseValid, leaseExpiresAt })` whenever this node's replica of
   * `groupId` leads: started on becoming leader, its signal aborted as soon as it stops leading
   * (the term is a fencing token). The signal is aborted by a round, which a paused process
   * runs only after it resumed; `leaseValid()` reads the clock, so call it right before each
   * effect (ADR 0010). Unsubscribe to stop (aborting a running work).
   *
   * @throws {GroupNotFoundError} when the group is not hosted here.
   * @example
   * node.leaderOnly("orders-7", async ({ term, signal, leaseValid }) =>
   *   relayOutbox(term, signal, leaseValid),
   * );
   */
  leaderOnly(groupId: string, work: LeaderWork): Subscription {
    const replica = this.replicas.get(groupId);
    if (replica === undefined) throw new GroupNotFoundError(groupId);
    return new Subscription(replica.workers.add(work));
  }

  /**
   * Stops the node: lets the round in flight finish (its writes durable, its messages sent),
   * rejects everything pending with `StoppedError`, completes every stream, aborts leader-only
   * work and closes the storage. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown(undefined);
    return this.stopping;
  }

  private async shutDown(cause: unknown): Promise<void> {
    this.state = "stopping";
    this.timer.cancel();
    this.balanceTimer?.cancel();
    this.unsubscribeTransport();
    if (this.roundInFlight !== undefined) await this.roundInFlight;
    await Promise.all([...this.snapshotsInFlight]);
    const error = new StoppedError(this.nodeId, cause === undefined ? undefined : { cause });
    for (const replica of this.replicas.values()) replica.close(error);
    this.leadershipSubject.complete();
    this.appliedSubject.complete();
    await this.options.storage.close();
    this.state = "stopped";
  }

  private propose(
    replica: Replica,
    encode: () => Uint8Array,
    requestOptions: { signal?: AbortSignal; timeoutMs?: number } = {},
    session?: SessionHeader,
  ): Promise<unknown> {
    const admission = admitProposal(this.state === "running", this.nodeId, replica, this.options, {
      nodePending: this.pendingProposals,
      encode,
    });
    if (admission.type === "refused") return Promise.reject(admission.error);
    const pending = this.newPending(requestOptions);
    this.pendingProposals++;
    replica.pendingProposals++;
    pending.onSettled(() => {
      this.pendingProposals--;
      replica.pendingProposals--;
    });
    const input = { type: "propose", data: admission.data, pending } as const;
    if (
      !pending.settled &&
      replica.enqueue(session === undefined ? input : { ...input, session })
    ) {
      this.touch(replica);
    }
    return pending.promise;
  }

  private read(
    replica: Replica,
    query: unknown,
    requestOptions: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<unknown> {
    if (this.state !== "running") return Promise.reject(new StoppedError(this.nodeId));
    const pending = this.newPending(requestOptions);
    // A fresh, unique context per read (etcd-io/raft #397): node, start time and a counter.
    const context = new TextEncoder().encode(
      `${this.nodeId}.${this.options.clock.now()}.${++this.readCount}`,
    );
    if (!pending.settled && replica.enqueue({ type: "read", context, query, pending })) {
      this.touch(replica);
    }
    return pending.promise;
  }

  private newPending(requestOptions: {
    signal?: AbortSignal;
    timeoutMs?: number;
  }): Pending<unknown> {
    const timeoutMs = requestOptions.timeoutMs ?? this.options.proposalTimeoutMs;
    const pending = new Pending<unknown>(this.options.clock.now(), timeoutMs);
    if (requestOptions.signal !== undefined) watchSignal(requestOptions.signal, pending);
    return pending;
  }

  private receive(batch: RaftBatch): void {
    if (this.state !== "running") return;
    this.liveness.heard(batch.from, this.options.clock.now());
    for (const { groupId, message } of batch.messages) {
      const replica = this.replicas.get(groupId);
      if (replica === undefined) {
        this.logger.debug({ groupId, from: batch.from, reason: "unknown group" }, "dropped");
        continue;
      }
      if (message.to !== this.nodeId) continue;
      if (replica.enqueue({ type: "message", message })) this.touch(replica);
    }
  }

  private touch(replica: Replica): void {
    this.dirty.add(replica);
    this.kick();
  }

  /** Schedules a round on a later macrotask, unless one is scheduled, running, or not needed. */
  private kick(): void {
    if (this.state !== "running" || this.roundScheduled || this.roundInFlight !== undefined) {
      return;
    }
    if (this.pendingTicks === 0 && this.dirty.size === 0) return;
    this.roundScheduled = true;
    setImmediate(() => {
      this.roundScheduled = false;
      if (this.state !== "running" || this.roundInFlight !== undefined) return;
      this.roundInFlight = this.round()
        .catch((error: unknown) => this.failStop(error))
        .finally(() => {
          this.roundInFlight = undefined;
          this.kick();
        });
    });
  }

  /** One round; see the file comment. */
  private async round(): Promise<void> {
    this.counters.rounds++;
    const nowMs = this.options.clock.now();
    const ticks = this.pendingTicks > 0 ? this.ticksDue(nowMs) : 0;
    this.pendingTicks = 0;
    // Peers owed a liveness ping this round: those that get no Raft batch get an empty one.
    const pingPeers = ticks > 0 ? this.tickReplicas(ticks, nowMs) : NO_PEERS;
    const dirty = [...this.dirty];
    this.dirty.clear();
    const readies: ReplicaReady[] = [];
    const idle: Replica[] = [];
    for (const replica of dirty) {
      replica.drain();
      if (replica.raft.hasReady()) readies.push({ replica, ready: replica.takeReady() });
      else idle.push(replica);
    }
    if (readies.length === 0 && idle.every((replica) => !replica.hasCompaction())) {
      for (const peer of pingPeers)
        this.options.transport.send(peer, { from: this.nodeId, messages: [] });
      this.counters.livenessPings += pingPeers.size;
      return;
    }
    const report = await persistSendApply(
      this.nodeId,
      this.options.storage,
      this.options.transport,
      readies,
      this.options.clock,
      idle,
      pingPeers,
      this.deferredHardStates,
    );
    for (const snapshot of report.snapshots) {
      this.snapshotsInFlight.add(snapshot);
      void snapshot.finally(() => this.snapshotsInFlight.delete(snapshot));
    }
    this.counters.storageWrites += report.storageWrites;
    this.counters.batchesSent += report.batchesSent;
    this.counters.livenessPings += report.livenessPings;
    // `advance` may have produced more (a leader's own append counts now): look again.
    for (const { replica } of readies) this.dirty.add(replica);
  }

  /**
   * How many ticks this round applies: the whole tick intervals the clock says passed since the
   * last counted one, not how often the timer fired — a timer fires once after a process pause
   * (or a long round) however long it was, and the cores must learn that the time passed (a
   * leader's CheckQuorum steps down at its first round after a pause past the election timeout).
   * At most `electionTicks`, past which more ticks change nothing Raft decides; the rest is
   * dropped, not carried into later rounds: every tick due is applied before this round's
   * inputs are drained, so a follower never counts time from before a leader's message as time
   * since it (the leader lease relies on that; ADR 0010).
   */
  private ticksDue(nowMs: number): number {
    const intervals = Math.floor((nowMs - this.tickOriginMs) / this.options.tickIntervalMs);
    const due = intervals - this.intervalsCounted;
    if (due <= 0) return 0;
    this.intervalsCounted = intervals;
    return Math.min(due, this.options.electionTicks);
  }

  /**
   * The clock's part of a round: node-level liveness (ping the peers, wake sleeping groups whose
   * leader or quorum went silent), then every awake replica quiesces or ticks.
   */
  private tickReplicas(ticks: number, nowMs: number): ReadonlySet<NodeId> {
    const { electionTicks, heartbeatTicks } = this.options;
    const before = this.tickCount;
    this.tickCount += ticks;
    if (Math.floor(this.tickCount / electionTicks) !== Math.floor(before / electionTicks)) {
      this.refreshPeers();
    }
    const pingDue =
      Math.floor(this.tickCount / heartbeatTicks) !== Math.floor(before / heartbeatTicks);
    const dead = this.wakeForDeadPeers(nowMs);
    for (const replica of this.replicas.values()) {
      if (replica.quiesced) continue;
      if (!replica.tryQuiesce(dead)) {
        for (let i = 0; i < ticks; i++) replica.tick(nowMs);
      }
      this.dirty.add(replica);
    }
    return pingDue ? this.liveness.peers : NO_PEERS;
  }

  /** Wakes the sleeping replicas that depend on a peer unheard for an election timeout. */
  private wakeForDeadPeers(nowMs: number): ReadonlySet<NodeId> {
    const dead = this.liveness.dead(nowMs);
    const joined = dead.join(",");
    if (joined !== this.deadPeers) {
      this.deadPeers = joined;
      this.logger.info({ deadPeers: dead }, "node liveness changed");
    }
    if (dead.length === 0) return NO_PEERS;
    const deadSet = new Set<NodeId>(dead);
    for (const replica of this.replicas.values()) {
      if (replica.wakeIfPeersDead(deadSet)) this.dirty.add(replica);
    }
    return deadSet;
  }

  /**
   * Creates a group's storage together with every other group asked for in the same tick: one
   * transaction and one sync for all (a node starting with ten thousand groups must not sync
   * ten thousand times). An already stored group is left as it is.
   */
  private createGroup(bootstrap: GroupBootstrap): Promise<void> {
    let batch = this.creating;
    if (batch === undefined) {
      const groups: GroupBootstrap[] = [];
      const done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.creating = undefined;
        return this.options.storage.createGroups(groups);
      });
      batch = { groups, done };
      this.creating = batch;
    }
    batch.groups.push(bootstrap);
    return batch.done;
  }

  /**
   * Adds a new replica's members to the peers to ping, without the full scan of
   * {@link refreshPeers}: hosting n groups one by one must not cost n scans of n replicas.
   */
  private addPeersOf(replica: Replica): void {
    const peers = this.liveness.peers;
    if (replica.peers().every((peer) => peers.has(peer))) return;
    this.liveness.setPeers(new Set([...peers, ...replica.peers()]), this.options.clock.now());
  }

  /** Recomputes the peers to ping: every other member of every group hosted here. */
  private refreshPeers(): void {
    const peers = new Set<NodeId>();
    for (const replica of this.replicas.values()) {
      for (const peer of replica.peers()) peers.add(peer);
    }
    this.liveness.setPeers(peers, this.options.clock.now());
  }

  /** A storage failure or a broken invariant: stop the node loudly rather than run on. */
  private failStop(error: unknown): void {
    this.logger.fatal({ err: error }, "round failed; stopping the node");
    this.stopping ??= this.shutDown(error);
  }

  private leadershipChanged(replica: Replica, softState: SoftState): void {
    if (this.state !== "running") return;
    this.leadershipSubject.next({
      groupId: replica.groupId,
      leaderId: softState.leaderId,
      term: softState.term,
      role: softState.role,
    });
  }
}
