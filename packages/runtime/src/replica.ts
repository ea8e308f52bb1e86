/**
 * One group's replica on this node, as an actor: it owns a `Raft`, the user's state machine and
 * a bounded mailbox. Inputs wait in the mailbox until the round drains them, one at a time; the
 * round (not the replica) decides when Readies are taken, persisted, sent and advanced, so the
 * replica is never re-entered and never sees a second Ready before `advance`.
 */
import { BehaviorSubject, type Observable } from "rxjs";
import type { Logger } from "pino";
import {
  allMembers,
  Rejection,
  type Membership,
  type Message,
  type NodeChange,
  type NodeId,
  type Raft,
  type Ready,
  type ReadState,
  type Role,
  type SoftState,
} from "@flotilla/raft";
import type { GroupStorage, NodeStorage } from "./node-storage.js";
import { CommittedFeed, type CommittedEvent } from "./committed-feed.js";
import { MembershipChangeRefusedError, NotLeaderError, OverloadedError } from "./errors/errors.js";
import { fnv1a32 } from "./fnv1a.js";
import type { Clock } from "./clock.js";
import { LeaderLease } from "./leader-lease.js";
import { LeaderWorkers } from "./leader-workers.js";
import { Mailbox } from "./mailbox.js";
import type { Pending } from "./pending.js";
import { ProposalBook, type ApplyOutcome } from "./proposal-book.js";
import { proposeRejection } from "./propose-rejection.js";
import { ReadBook } from "./read-book.js";
import { decodeFrame, type SessionHeader } from "./sessions/command-envelope.js";
import { InFlightSessions } from "./sessions/in-flight-sessions.js";
import { SessionTable } from "./sessions/session-table.js";
import { decodeSnapshot, encodeSnapshot } from "./sessions/snapshot-envelope.js";
import { Snapshotter, type SnapshotPolicy } from "./snapshotter.js";
import type { StateMachine } from "./state-machine.js";

/** Who leads a group, as `leader$` reports it. */
export interface LeaderInfo {
  /** The leader's node id, or undefined during an election. */
  readonly leaderId: string | undefined;
  readonly term: number;
}

/**
 * Ticks a leader's group must have been without input before it quiesces: a group under light
 * load (an input every tick or two) keeps ticking rather than sleeping and waking each time.
 */
export const QUIESCE_AFTER_IDLE_TICKS = 2;

/** Command bytes appended together at most: past it, the next proposals form a new batch. */
const PROPOSAL_BATCH_BYTES_MAX = 1024 * 1024;

const UTF8 = new TextEncoder();

/**
 * Ticks the survivor picked to campaign after its leader's node died waits first: the other
 * survivors' liveness checks run on their own tick boundaries, about a tick apart.
 */
export const CAMPAIGN_AFTER_DEATH_TICKS = 2;

/** An input waiting in a replica's mailbox. */
export type ReplicaInput =
  | { readonly type: "message"; readonly message: Message }
  | {
      readonly type: "propose";
      readonly data: Uint8Array;
      readonly pending: Pending<unknown>;
      /** Set for a remote client's command (the header is also framed in `data`). */
      readonly session?: SessionHeader;
    }
  | {
      readonly type: "read";
      readonly context: Uint8Array;
      readonly query: unknown;
      readonly pending: Pending<unknown>;
    }
  | { readonly type: "transfer"; readonly to: NodeId; readonly pending: Pending<unknown> }
  | {
      readonly type: "membership";
      readonly changes: readonly NodeChange[];
      readonly pending: Pending<unknown>;
    };

/** One replica's state, for operators (`node.status()`) and dashboards. */
export interface ReplicaStatus {
  readonly groupId: string;
  readonly role: Role;
  readonly leaderId: string | undefined;
  readonly term: number;
  readonly commitIndex: number;
  /** The last index the state machine applied here. */
  readonly appliedIndex: number;
  readonly lastIndex: number;
  /** True while the group sleeps here (no ticks, no heartbeats). */
  readonly quiesced: boolean;
  readonly voters: readonly string[];
  readonly learners: readonly string[];
}

/** How a replica reports leadership changes to its node. */
export type LeadershipListener = (replica: Replica, softState: SoftState) => void;

/** Everything a replica is built from. */
export interface ReplicaOptions {
  readonly nodeId: NodeId;
  readonly groupId: string;
  readonly raft: Raft;
  readonly storage: GroupStorage;
  /** The node's storage, where automatic snapshots are recorded. */
  readonly nodeStorage: NodeStorage;
  /** When to snapshot and compact automatically. */
  readonly snapshotPolicy: SnapshotPolicy;
  /** Called when a stored snapshot allows a compaction (the replica wants a round). */
  readonly onSnapshotStored: (replica: Replica) => void;
  readonly stateMachine: StateMachine<unknown, unknown, unknown, unknown>;
  readonly decode: (bytes: Uint8Array) => unknown;
  readonly mailboxMessagesMax: number;
  readonly committedBufferMax: number;
  /** How long a deposed leader's proposals wait for a certain outcome before "unknown". */
  readonly deposedProposalGraceMs: number;
  readonly logger: Logger;
  /** The node's clock: the lease is checked against it (ADR 0010). */
  readonly clock: Clock;
  /** How long a confirmed lease lasts (leader-lease.ts `leaseDurationMs`). */
  readonly leaseDurationMs: number;
  /** Asks the node for a round with this replica in it (its lease is wanted). */
  readonly onRoundWanted: (replica: Replica) => void;
  readonly onLeadership: LeadershipListener;
  /** Called after each apply that moved the applied index (the node's `applied$`). */
  readonly onApplied?: (batch: AppliedBatch) => void;
}

/** What one round applied in one group: the range it covers and its events. */
export interface AppliedBatch {
  readonly groupId: string;
  /** The applied index before. */
  readonly after: number;
  /** The applied index now: every index in (after, through] is accounted for. */
  readonly through: number;
  /** A snapshot event (a restore) first if any, then application entries, in order. */
  readonly events: readonly CommittedEvent[];
}

/** A replica actor. Only the node's round calls its methods. */
export class Replica {
  readonly groupId: string;
  readonly raft: Raft;
  readonly feed: CommittedFeed;
  readonly workers: LeaderWorkers;
  readonly logger: Logger;
  private readonly leaderSubject: BehaviorSubject<LeaderInfo>;
  private readonly mailbox: Mailbox<ReplicaInput>;
  private readonly proposals: ProposalBook;
  private readonly reads: ReadBook;
  private readonly snapshots: Snapshotter;
  private readonly lease: LeaderLease;
  /** A worker asked for the lease since the last round: probe even while asleep. */
  private leaseWanted = false;
  /** Which session commands were applied, so a retried one applies once. */
  private readonly sessions = new SessionTable();
  /** While leading: session commands in the log, not yet applied (a retry waits for them). */
  private readonly inFlightSessions = new InFlightSessions();
  private applied: number;
  private softState: SoftState;
  /** Raft messages dropped because the mailbox was full (Raft recovers from the loss). */
  droppedMessages = 0;
  /** Proposals accepted by `propose` and not yet settled (the per-group bound). */
  pendingProposals = 0;
  /**
   * True while the group sleeps (quiescence): the node does not tick this replica until an
   * input other than its leader's quiescing heartbeat arrives.
   */
  private sleeping = false;
  /** Ticks since the last input (a leader quiesces after {@link QUIESCE_AFTER_IDLE_TICKS}). */
  private idleTicks = 0;

  /**
   * The term and vote on disk here: a message may leave before the round's write only while the
   * Ready does not move them (the round updates these once its write is durable).
   */
  durableTerm: number;
  durableVote: NodeId | undefined;

  constructor(private readonly options: ReplicaOptions) {
    const { hardState } = options.storage.initialState();
    this.durableTerm = hardState.term;
    this.durableVote = hardState.vote;
    this.groupId = options.groupId;
    this.raft = options.raft;
    this.logger = options.logger;
    const status = options.raft.status();
    this.applied = status.appliedIndex;
    this.softState = { role: status.role, leaderId: status.leaderId, term: status.term };
    this.leaderSubject = new BehaviorSubject<LeaderInfo>({
      leaderId: status.leaderId,
      term: status.term,
    });
    this.mailbox = new Mailbox(options.mailboxMessagesMax);
    this.proposals = new ProposalBook(options.groupId);
    this.reads = new ReadBook(options.groupId);
    this.lease = new LeaderLease(options.clock, options.leaseDurationMs);
    this.workers = new LeaderWorkers(options.logger, {
      valid: (term) => this.leaseValid(term),
      expiresAt: (term) => this.leaseExpiresAt(term),
    });
    this.snapshots = new Snapshotter({
      groupId: options.groupId,
      storage: options.nodeStorage,
      groupStorage: options.storage,
      policy: options.snapshotPolicy,
      logger: options.logger,
      onStored: () => options.onSnapshotStored(this),
    });
    this.feed = new CommittedFeed(
      {
        groupId: options.groupId,
        storage: options.storage,
        appliedIndex: () => this.applied,
        storedIndex: () => this.raft.storedIndex(),
      },
      options.committedBufferMax,
    );
    const stored = options.storage.snapshot();
    if (stored.metadata.index > 0) {
      this.restoreState(stored.data);
      this.snapshots.restored(stored.data.byteLength);
    }
  }

  /** Latest `{ leaderId, term }` first, then every change. */
  get leader$(): Observable<LeaderInfo> {
    return this.leaderSubject.asObservable();
  }

  /** The group's storage, as the core reads it. */
  get storage(): GroupStorage {
    return this.options.storage;
  }

  /** The current leader as this replica knows it. */
  leader(): LeaderInfo {
    return this.leaderSubject.getValue();
  }

  isLeader(): boolean {
    return this.softState.role === "leader";
  }

  appliedIndex(): number {
    return this.applied;
  }

  /**
   * Queues `input`. When the mailbox is full, the newest Raft message is dropped (Raft
   * tolerates loss) and a proposal or read is rejected with `OverloadedError`. False if refused.
   */
  enqueue(input: ReplicaInput): boolean {
    if (!isBackgroundTraffic(input)) {
      this.sleeping = false;
      this.idleTicks = 0;
    }
    if (this.mailbox.offer(input)) return true;
    if (input.type === "message") {
      // Raft retries what is lost; one line per power of two keeps a flood from flooding logs.
      this.droppedMessages++;
      if ((this.droppedMessages & (this.droppedMessages - 1)) === 0) {
        this.logger.warn(
          { dropped: this.droppedMessages, reason: "mailboxMessagesMax" },
          "mailbox full: dropped the newest Raft message",
        );
      }
    } else {
      input.pending.reject(new OverloadedError(this.groupId, "mailboxMessagesMax"));
    }
    return false;
  }

  hasInput(): boolean {
    return this.mailbox.size > 0;
  }

  /** True while the group sleeps: the node skips this replica's ticks. */
  get quiesced(): boolean {
    return this.sleeping;
  }

  /**
   * Feeds every queued input to the core, oldest first. A follower whose last input was its
   * leader's quiescing heartbeat, with nothing of its own waiting, falls asleep.
   */
  drain(): void {
    let quiescedBy: Message | undefined;
    // Consecutive proposals are appended together: one append per follower, not one each.
    let batch: { data: Uint8Array; pending: Pending<unknown>; session?: SessionHeader }[] = [];
    let batchBytes = 0;
    const flush = (): void => {
      if (batch.length > 0) this.proposeBatch(batch);
      batch = [];
      batchBytes = 0;
    };
    for (const input of this.mailbox.drain()) {
      quiescedBy = isQuiescingHeartbeat(input) ? input.message : undefined;
      if (input.type === "propose") {
        // Aborted or timed out while queued: never proposed.
        if (!input.pending.settled && !this.answeredWithoutAppending(input)) {
          batch.push(input);
          batchBytes += input.data.byteLength;
          if (batchBytes >= PROPOSAL_BATCH_BYTES_MAX) flush();
        }
        continue;
      }
      flush();
      switch (input.type) {
        case "message":
          this.raft.step(input.message);
          break;
        case "read":
          this.read(input.context, input.query, input.pending);
          break;
        case "transfer":
          this.transfer(input.to, input.pending);
          break;
        case "membership":
          this.changeMembership(input.changes, input.pending);
          break;
      }
    }
    flush();
    this.renewLease();
    if (quiescedBy !== undefined && this.hasNothingWaiting()) {
      const status = this.raft.status();
      if (
        status.role === "follower" &&
        status.leaderId === quiescedBy.from &&
        status.term === quiescedBy.term
      ) {
        this.sleeping = true;
      }
    }
  }

  /** One Raft tick, then the deadlines of what waits here. */
  tick(nowMs: number): void {
    this.idleTicks++;
    this.raft.tick();
    if (this.campaignInTicks !== undefined && --this.campaignInTicks <= 0) {
      this.campaignInTicks = undefined;
      if (this.raft.softStatus().leaderId === undefined) this.raft.campaign();
    }
    this.proposals.expire(nowMs);
    this.reads.expire(nowMs);
  }

  /**
   * At a tick, instead of ticking: a leader idle for {@link QUIESCE_AFTER_IDLE_TICKS} ticks with
   * nothing waiting quiesces its group if the core agrees (`Raft.quiesce`), and falls asleep.
   */
  tryQuiesce(deadPeers?: ReadonlySet<NodeId>): boolean {
    if (
      this.sleeping ||
      this.idleTicks < QUIESCE_AFTER_IDLE_TICKS ||
      this.softState.role !== "leader" ||
      !this.hasNothingWaiting()
    ) {
      return false;
    }
    if (!this.raft.quiesce(deadPeers)) return false;
    this.sleeping = true;
    return true;
  }

  /**
   * Node liveness reports `dead` peers. A sleeping follower whose leader is among them wakes and
   * forgets it (so the group elects at once); a sleeping leader that no longer hears a quorum
   * of its voters wakes and steps down (CheckQuorum's job while it ticked). Returns whether it
   * woke.
   */
  wakeIfPeersDead(dead: ReadonlySet<string>): boolean {
    if (!this.sleeping) return false;
    // Checked every tick while a peer is dead: the cheap soft state first, the full status
    // (with membership) only for a leader.
    const soft = this.raft.softStatus();
    if (soft.role === "follower") {
      if (soft.leaderId === undefined || !dead.has(soft.leaderId)) return false;
      this.sleeping = false;
      // The pick campaigns first; the others keep a whole election timeout as the fallback, so
      // they do not split its vote. The other survivors learn of the death within about a tick
      // of us; until then they would refuse a PreVote (they still have a leader), so the pick
      // waits that long.
      const picked = this.picksItselfAfter(dead);
      this.raft.forgetLeader(picked ? "soon" : "later");
      if (picked) this.campaignInTicks = CAMPAIGN_AFTER_DEATH_TICKS;
      return true;
    }
    if (soft.role !== "leader") return false;
    // A quiesced leader is never in a joint configuration: one majority decides.
    const voters = this.raft.membership().voters;
    const live = voters.filter((id) => !dead.has(id)).length;
    if (2 * live > voters.length) return false;
    this.sleeping = false;
    this.raft.stepDown();
    return true;
  }

  /**
   * True when this replica is the live voter that campaigns first after its leader's node
   * died. Without a pick, every follower waits out a random election timeout and two that
   * wake together split the vote; with one, the group elects within a few rounds. The pick
   * hashes the group id over the live voters, so a dead node's leaderships spread evenly over
   * the survivors. The others keep their timeouts (and elect anyway if the pick is slow).
   */
  private picksItselfAfter(dead: ReadonlySet<string>): boolean {
    const membership = this.raft.membership();
    if (membership.votersOutgoing.length > 0) return false;
    const live = membership.voters.filter((id) => !dead.has(id)).sort();
    if (live.length === 0) return false;
    return live[fnv1a32(UTF8.encode(this.groupId)) % live.length] === this.options.nodeId;
  }

  /** The members of this group other than this node (node-level liveness pings them). */
  peers(): readonly NodeId[] {
    // Asked for every replica at every liveness refresh: recomputed only when the
    // configuration object changes (the core replaces it, never edits it).
    const membership = this.raft.membership();
    if (membership !== this.peersOf) {
      this.peersOf = membership;
      this.peersCache = allMembers(membership).filter((id) => id !== this.options.nodeId);
    }
    return this.peersCache;
  }

  /** Ticks until this replica campaigns, when it is its group's pick after a leader died. */
  private campaignInTicks: number | undefined;
  private peersOf: Membership | undefined;
  private peersCache: readonly NodeId[] = [];

  /**
   * Steps 5–6 of the Ready loop, after the round persisted and sent `ready`: restore the
   * snapshot, apply committed entries (settling their proposals), serve reads, then report a
   * leadership change. Events for `committed$` wait for {@link flushStreams}.
   */
  apply(ready: Ready, nowMs: number): void {
    const before = this.applied;
    const events: CommittedEvent[] | undefined =
      this.options.onApplied === undefined ? undefined : [];
    if (ready.snapshot !== undefined) {
      this.restore(ready);
      const { index, term } = ready.snapshot.metadata;
      events?.push({
        type: "snapshot",
        index,
        term,
        data: decodeSnapshot(ready.snapshot.data).state,
      });
    }
    for (const entry of ready.committedEntries) {
      if (entry.type === "normal") {
        const { outcome, command } = this.applyEntry(entry);
        this.applied = entry.index;
        this.proposals.applied(entry.index, entry.term, outcome);
        this.feed.applied({ index: entry.index, term: entry.term, data: command });
        events?.push({ type: "entry", index: entry.index, term: entry.term, data: command });
      } else {
        this.applied = entry.index;
        this.proposals.applied(entry.index, entry.term, { ok: true, result: undefined });
      }
    }
    this.inFlightSessions.appliedThrough(this.applied);
    if (events !== undefined && this.applied > before) {
      this.options.onApplied?.({
        groupId: this.groupId,
        after: before,
        through: this.applied,
        events,
      });
    }
    this.snapshots.applied(ready.committedEntries);
    this.leaseConfirmed(ready.readStates);
    this.reads.confirmed(ready.readStates);
    this.reads.serve(this.applied, (query) => this.options.stateMachine.query(query));
    if (ready.softState !== undefined) this.leadershipChanged(ready.softState, nowMs);
  }

  /**
   * After `advance`: when a threshold is passed and no snapshot is in flight, takes the state
   * machine's snapshot now — the state at the applied index, with the membership in force
   * there — and stores it in the background. The promise (never rejecting) settles when the
   * snapshot is stored or failed; undefined when no snapshot was taken.
   */
  snapshotIfDue(): Promise<void> | undefined {
    if (!this.snapshots.due()) return undefined;
    const status = this.raft.status();
    const index = this.applied;
    if (index <= this.options.storage.snapshot().metadata.index || index !== status.appliedIndex) {
      return undefined;
    }
    let data: Uint8Array;
    try {
      data = encodeSnapshot(this.sessions.encode(), this.options.stateMachine.snapshot());
    } catch (error) {
      this.logger.warn({ err: error, index }, "state machine snapshot failed; retrying later");
      return undefined;
    }
    return this.snapshots.store(index, status.membership, data);
  }

  /** True when a stored snapshot waits to compact the log. */
  hasCompaction(): boolean {
    return this.snapshots.hasCompaction();
  }

  /** The `compactThrough` this round's write may carry (taken once), if any. */
  takeCompaction(): number | undefined {
    return this.snapshots.takeCompaction();
  }

  /** Waits for the snapshot in flight, if any. */
  snapshotSettled(): Promise<void> {
    return this.snapshots.settled();
  }

  /** Delivers what this round queued on `committed$`. */
  flushStreams(): void {
    this.feed.flush();
  }

  /** Rejects everything pending with `error`, completes every stream, aborts the workers. */
  close(error: unknown): void {
    for (const input of this.mailbox.drain()) {
      if (input.type !== "message") input.pending.reject(error);
    }
    this.proposals.rejectAll(error);
    this.reads.rejectAll(error);
    this.workers.close();
    this.feed.complete();
    this.leaderSubject.complete();
  }

  private hasNothingWaiting(): boolean {
    return this.mailbox.size === 0 && this.proposals.size === 0 && this.reads.size === 0;
  }

  /**
   * A remote client's retry is not appended again (the committed log holds each client command
   * once, so `committed$` and the state machine see it once): one already applied is answered
   * from the session table, one still in this leader's log waits for that entry. True when
   * handled here. A new leader learns what its log holds when it takes office.
   */
  private answeredWithoutAppending(input: {
    readonly pending: Pending<unknown>;
    readonly session?: SessionHeader;
  }): boolean {
    const { session, pending } = input;
    if (session === undefined) return false;
    const { role, term } = this.raft.softStatus();
    if (role !== "leader") return false;
    if (this.inFlightSessions.term !== term) {
      // Taking office: index the session commands already in the log, not yet applied.
      this.inFlightSessions.rebuild(this.options.storage, this.applied, term);
    }
    const known = this.sessions.lookup(session.clientId, session.sequence);
    if (known?.type === "duplicate") {
      if (known.outcome.ok) pending.resolve(known.outcome.result);
      else pending.reject(known.outcome.error);
      return true;
    }
    if (known?.type === "stale") {
      pending.reject(staleCommand(session));
      return true;
    }
    const inLog = this.inFlightSessions.find(session);
    if (inLog === undefined) return false;
    this.proposals.accepted(pending, inLog.index, inLog.term);
    return true;
  }

  private proposeBatch(
    batch: readonly { data: Uint8Array; pending: Pending<unknown>; session?: SessionHeader }[],
  ): void {
    // A session command twice in one batch (a retry racing its first copy) is appended once.
    const unique: { data: Uint8Array; pending: Pending<unknown>; session?: SessionHeader }[] = [];
    const slotOf: number[] = [];
    const slotByKey = new Map<string, number>();
    for (const item of batch) {
      const key =
        item.session === undefined
          ? undefined
          : `${item.session.clientId}/${item.session.sequence}`;
      const seen = key === undefined ? undefined : slotByKey.get(key);
      if (seen !== undefined) {
        slotOf.push(seen);
        continue;
      }
      if (key !== undefined) slotByKey.set(key, unique.length);
      slotOf.push(unique.length);
      unique.push(item);
    }
    const outcome = this.raft.proposeBatch(unique.map(({ data }) => data));
    switch (outcome.type) {
      case "accepted": {
        const first = outcome.index - unique.length + 1;
        unique.forEach(({ session }, slot) => {
          if (session !== undefined) this.inFlightSessions.add(session, first + slot, outcome.term);
        });
        batch.forEach(({ pending }, i) =>
          this.proposals.accepted(pending, first + (slotOf[i] ?? 0), outcome.term),
        );
        return;
      }
      case "forwarded":
        // The runtime configures the core to reject on followers (clients route by subject).
        for (const { pending } of batch)
          pending.reject(new NotLeaderError(this.groupId, outcome.to));
        return;
      case "rejected": {
        for (const { pending } of batch) pending.reject(proposeRejection(this.groupId, outcome));
        return;
      }
    }
  }

  private read(context: Uint8Array, query: unknown, pending: Pending<unknown>): void {
    if (pending.settled) return;
    const outcome = this.raft.readIndex(context);
    if (outcome.type === "rejected") {
      pending.reject(proposeRejection(this.groupId, outcome));
      return;
    }
    this.reads.requested(context, query, pending);
  }

  private changeMembership(changes: readonly NodeChange[], pending: Pending<unknown>): void {
    if (pending.settled) return;
    const outcome = this.raft.changeMembership(changes);
    if (outcome.type === "accepted") {
      // Settles when the configuration entry applies (or is overwritten), like a proposal.
      this.proposals.accepted(pending, outcome.index, outcome.term);
    } else if (outcome.type === "rejected" && outcome.reason === Rejection.ChangePending) {
      pending.reject(
        new MembershipChangeRefusedError(this.groupId, "change-pending", outcome.detail),
      );
    } else if (outcome.type === "rejected" && outcome.reason === Rejection.InvalidChange) {
      pending.reject(
        new MembershipChangeRefusedError(this.groupId, "invalid-change", outcome.detail),
      );
    } else if (outcome.type === "rejected") {
      pending.reject(proposeRejection(this.groupId, outcome));
    } else {
      pending.reject(new NotLeaderError(this.groupId, outcome.to));
    }
  }

  private transfer(to: NodeId, pending: Pending<unknown>): void {
    if (pending.settled) return;
    // Before the core may send TimeoutNow: from then on the lease is forfeit (ADR 0010).
    const { role, term } = this.raft.softStatus();
    if (role === "leader") this.lease.forfeit(term);
    const outcome = this.raft.transferLeadership(to);
    if (outcome.type === "rejected") pending.reject(proposeRejection(this.groupId, outcome));
    else pending.resolve(undefined);
  }

  /**
   * The core's next Ready, for the round. A TimeoutNow in it (a transfer the core started by
   * itself, e.g. handing off after its own removal) forfeits the lease before it leaves.
   */
  takeReady(): Ready {
    const ready = this.raft.ready();
    for (const message of ready.messages) {
      if (message.type === "TimeoutNow") {
        this.lease.forfeit(message.term);
        break;
      }
    }
    return ready;
  }

  /** True while this replica leads `term` and holds its lease (leader-lease.ts). */
  leaseValid(term: number): boolean {
    const soft = this.raft.softStatus();
    if (soft.role !== "leader" || soft.term !== term) return false;
    this.wantLeaseIfDue(term);
    return this.lease.valid(term, this.raft.membership());
  }

  /**
   * When the lease of `term` runs out (clock ms), `-Infinity` when none is held. Only reads:
   * unlike {@link leaseValid} it never asks for a renewal (checkers may call it freely).
   */
  leaseExpiresAt(term: number): number {
    const soft = this.raft.softStatus();
    if (soft.role !== "leader" || soft.term !== term) return Number.NEGATIVE_INFINITY;
    return this.lease.expiresAt(term, this.raft.membership());
  }

  /**
   * A worker asked while the lease nears its end: have the next round probe, even if the
   * group sleeps (the probe's heartbeats wake it).
   */
  private wantLeaseIfDue(term: number): void {
    if (this.leaseWanted || !this.lease.probeDue(term)) return;
    this.leaseWanted = true;
    this.sleeping = false;
    this.idleTicks = 0;
    this.options.onRoundWanted(this);
  }

  /**
   * At the end of a drain: a leader whose lease was asked for, or with leader-only work and
   * input since its last tick, sends a probe when its lease nears its end, so a busy leader's
   * lease does not lapse while a quorum answers. An idle one lets it lapse: probing it would
   * keep the group from ever quiescing, and asking brings it back within a round trip.
   */
  private renewLease(): void {
    const wanted = this.leaseWanted;
    this.leaseWanted = false;
    if (!wanted && (this.workers.size === 0 || this.idleTicks > 0)) return;
    const { role, term } = this.raft.softStatus();
    if (role !== "leader" || !this.lease.probeDue(term)) return;
    const context = this.lease.startProbe(term, this.raft.membership());
    if (this.raft.readIndex(context).type === "rejected") this.lease.probeRefused();
  }

  private leaseConfirmed(readStates: readonly ReadState[]): void {
    if (readStates.length === 0) return;
    const { role, term } = this.raft.softStatus();
    if (role === "leader") this.lease.confirmed(readStates, term, this.raft.membership());
  }

  /** What `node.status()` reports for this replica. */
  status(): ReplicaStatus {
    const status = this.raft.status();
    return {
      groupId: this.groupId,
      role: status.role,
      leaderId: status.leaderId,
      term: status.term,
      commitIndex: status.commitIndex,
      appliedIndex: this.applied,
      lastIndex: status.lastIndex,
      quiesced: this.sleeping,
      voters: [...status.membership.voters, ...status.membership.votersOutgoing].filter(
        (id, i, all) => all.indexOf(id) === i,
      ),
      learners: [...status.membership.learners, ...status.membership.learnersNext].filter(
        (id, i, all) => all.indexOf(id) === i,
      ),
    };
  }

  /**
   * Applies one committed application entry: unframes it (command-envelope.ts), applies a
   * session command only the first time (a retry gets the first outcome), and returns the
   * outcome with the command's bytes for `committed$`. Deterministic on every replica.
   */
  private applyEntry(entry: { index: number; term: number; data: Uint8Array }): {
    outcome: ApplyOutcome;
    command: Uint8Array;
  } {
    const frame = decodeFrame(entry.data);
    if (frame.type === "malformed") {
      return {
        outcome: { ok: false, error: new Error(`malformed entry: ${frame.reason}`) },
        command: entry.data,
      };
    }
    const applied = { index: entry.index, term: entry.term, data: frame.command };
    if (frame.type === "plain")
      return { outcome: this.applyCommand(applied), command: frame.command };
    const { clientId, sequence, respondedTo } = frame.session;
    const decision = this.sessions.check(clientId, sequence, respondedTo, entry.index);
    switch (decision.type) {
      case "duplicate":
        return { outcome: decision.outcome, command: frame.command };
      case "stale":
        return {
          outcome: { ok: false, error: staleCommand(frame.session) },
          command: frame.command,
        };
      case "apply": {
        const outcome = this.applyCommand(applied);
        this.sessions.record(clientId, sequence, respondedTo, entry.index, outcome);
        return { outcome, command: frame.command };
      }
    }
  }

  private applyCommand(entry: { index: number; term: number; data: Uint8Array }): ApplyOutcome {
    try {
      const command = this.options.decode(entry.data);
      return { ok: true, result: this.options.stateMachine.apply(command, entry) };
    } catch (error) {
      // Deterministic on every replica: the entry is applied, the proposal rejects with it.
      return { ok: false, error };
    }
  }

  /** Replaces the state machine and the session table with a stored snapshot's. */
  private restoreState(data: Uint8Array): void {
    const parts = decodeSnapshot(data);
    this.options.stateMachine.restore(parts.state);
    if (parts.sessions === undefined) this.sessions.restore(new SessionTable().encode());
    else this.sessions.restore(parts.sessions);
  }

  private restore(ready: Ready): void {
    const snapshot = ready.snapshot;
    if (snapshot === undefined) return;
    this.restoreState(snapshot.data);
    this.applied = snapshot.metadata.index;
    this.snapshots.restored(snapshot.data.byteLength);
    this.feed.restored(snapshot);
  }

  private leadershipChanged(next: SoftState, nowMs: number): void {
    const previous = this.softState;
    this.softState = next;
    const wasLeader = previous.role === "leader";
    const isLeader = next.role === "leader";
    if (wasLeader && (!isLeader || next.term !== previous.term)) {
      this.proposals.leadershipLost(nowMs, this.options.deposedProposalGraceMs);
    }
    if (next.term !== previous.term) this.reads.termChanged(next.leaderId);
    if (!isLeader || next.term !== previous.term) this.lease.reset();
    this.workers.leadership(isLeader ? next.term : undefined);
    const current = this.leaderSubject.getValue();
    if (current.leaderId !== next.leaderId || current.term !== next.term) {
      this.leaderSubject.next({ leaderId: next.leaderId, term: next.term });
    }
    this.options.onLeadership(this, next);
  }
}

function isQuiescingHeartbeat(input: ReplicaInput): input is {
  readonly type: "message";
  readonly message: Message;
} {
  return (
    input.type === "message" && input.message.type === "Heartbeat" && input.message.quiesce === true
  );
}

/**
 * Heartbeats and their plain answers keep a group alive but are not work: they neither reset
 * its idle count nor wake it (a late answer to the last heartbeat must not wake the leader).
 * A heartbeat that is not quiescing does wake a sleeping follower: its leader is awake.
 */
function isBackgroundTraffic(input: ReplicaInput): boolean {
  if (input.type !== "message") return false;
  const message = input.message;
  if (message.type === "Heartbeat") return message.quiesce === true;
  return message.type === "HeartbeatResult" && message.context === undefined;
}

/** A session command answered before and forgotten: it is not applied again. */
function staleCommand(session: SessionHeader): Error {
  return new Error(`command ${session.sequence} of ${session.clientId} was already answered`);
}
