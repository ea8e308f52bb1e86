/**
 * One replica (one group on one node) as the simulator hosts it: the core, the key-value state
 * machine and the Ready loop, done exactly in the contract's order (persist, sync if asked, send,
 * apply, serve reads, advance). It checks what only the host can see: entries are applied once
 * committed and persisted, in index order, and the commit index never goes backwards while the
 * replica lives.
 */
import {
  Raft,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type RaftStatus,
  type ReadState,
  type Ready,
  type SeededRandom,
  type Snapshot,
} from "@flotilla/raft";
import { KvStateMachine, type KvApplied } from "./kv-state-machine.js";
import type { SimStorage } from "./sim-storage.js";
import { expectInvariant } from "./violation.js";
import type { World } from "./world.js";

/** What a host tells the rest of the simulation, in the order it happens. */
export interface ReplicaObserver {
  /** A message to put on the wire (already durable-safe: sent after the sync). */
  send(host: ReplicaHost, message: Message): void;
  /** `entries` were appended to the (volatile) log. */
  persisted(host: ReplicaHost, entries: readonly Entry[]): void;
  /** The hard state was written; `previousCommitIndex` is what this incarnation had before. */
  hardState(host: ReplicaHost, hardState: HardState, previousCommitIndex: number): void;
  /** The state machine was replaced by a snapshot from the leader. */
  snapshotRestored(host: ReplicaHost, snapshot: Snapshot): void;
  /** A committed entry was applied; `applied` is set for application entries. */
  applied(host: ReplicaHost, entry: Entry, applied: KvApplied | undefined): void;
  /** A read point was confirmed (served once applied; see the client). */
  readState(host: ReplicaHost, readState: ReadState): void;
  /** The host snapshotted its state machine at `index` and compacted the log. */
  snapshotTaken(host: ReplicaHost, index: number, data: Uint8Array): void;
  /** A follower did not grant its vote to a (pre-)vote request, and its timer stayed put. */
  voteTimerChecked(host: ReplicaHost): void;
  /** A snapshot arrived whose last index this replica holds with another term. */
  snapshotOverConflict(host: ReplicaHost): void;
}

/** Ready records handled per call at most; the rest wait for the next step. */
export const READY_ROUNDS_MAX = 16;

/** Everything a host needs to (re)start. */
export interface ReplicaHostOptions {
  readonly nodeId: NodeId;
  readonly groupId: string;
  readonly storage: SimStorage;
  readonly world: World;
  /** Seeds the core's election jitter. */
  readonly raftRandom: SeededRandom;
  /** Decides the extra syncs the world allows. */
  readonly hostRandom: SeededRandom;
  readonly observer: ReplicaObserver;
}

/**
 * A live replica. A crash discards the object; a restart builds a new one over the same storage,
 * with the state machine restored from the storage's snapshot.
 */
export class ReplicaHost {
  readonly nodeId: NodeId;
  readonly groupId: string;
  readonly storage: SimStorage;
  readonly raft: Raft;
  private kvState: KvStateMachine;
  /** The highest commit index this incarnation has persisted or restored. */
  private commitIndex: number;
  private readonly options: ReplicaHostOptions;

  constructor(options: ReplicaHostOptions) {
    const { storage, world } = options;
    this.options = options;
    this.nodeId = options.nodeId;
    this.groupId = options.groupId;
    this.storage = storage;
    const snapshot = storage.snapshot();
    this.kvState = KvStateMachine.restore(snapshot.data);
    expectInvariant(this.kvState.appliedIndex() === snapshot.metadata.index, () =>
      this.describe(
        `snapshot at ${snapshot.metadata.index} holds state at ${this.kvState.appliedIndex()}`,
      ),
    );
    this.commitIndex = Math.max(
      storage.initialState().hardState.commitIndex,
      snapshot.metadata.index,
    );
    this.raft = new Raft({
      id: options.nodeId,
      storage,
      random: options.raftRandom,
      electionTicks: world.electionTicks,
      heartbeatTicks: world.heartbeatTicks,
      preVote: world.preVote,
      checkQuorum: world.checkQuorum,
      readMode: "safe",
      inflightMessagesMax: world.inflightMessagesMax,
      batchBytesMax: world.batchBytesMax,
      proposalForwarding: world.proposalForwarding,
      appliedIndex: snapshot.metadata.index,
    });
  }

  /** The state machine (replaced when a snapshot is restored). */
  kv(): KvStateMachine {
    return this.kvState;
  }

  /** The core's status. */
  status(): RaftStatus {
    return this.raft.status();
  }

  /**
   * Steps `message`. A (pre-)vote request that a follower does not grant its vote for must leave
   * its election timer where it was (Raft's Figure 2 restarts it only on granting a vote);
   * otherwise a candidate that keeps losing would hold off every election.
   */
  step(message: Message): void {
    if (message.type === "InstallSnapshot") {
      const { index, term } = message.snapshot.metadata;
      const held = this.raft.status().commitIndex < index ? this.storage.term(index) : undefined;
      if (held !== undefined && held !== term) this.options.observer.snapshotOverConflict(this);
    }
    if (message.type !== "RequestVote") {
      this.raft.step(message);
      return;
    }
    const before = this.raft.status();
    this.raft.step(message);
    const after = this.raft.status();
    const votedFor = !message.preVote && after.vote === message.from && after.term === message.term;
    if (before.role !== "follower" || after.role !== "follower" || votedFor) return;
    expectInvariant(after.electionElapsed === before.electionElapsed, () =>
      this.describe(
        `a ${message.preVote ? "PreVote" : "RequestVote"} from ${message.from} it did not grant ` +
          `moved its election timer (${before.electionElapsed} -> ${after.electionElapsed})`,
      ),
    );
    this.options.observer.voteTimerChecked(this);
  }

  /** Handles Ready records until there are none (at most {@link READY_ROUNDS_MAX}). */
  handleReadies(): void {
    for (let round = 0; round < READY_ROUNDS_MAX && this.raft.hasReady(); round++) {
      this.handleReady(this.raft.ready());
    }
  }

  /** `host n1/g0: what` — every violation names the replica. */
  describe(what: string): string {
    return `replica ${this.nodeId}/${this.groupId}: ${what}`;
  }

  private handleReady(ready: Ready): void {
    this.persist(ready);
    const { observer, hostRandom, world } = this.options;
    if (ready.mustSync || hostRandom.chance(world.extraSyncOdds)) this.storage.sync();
    for (const message of ready.messages) {
      this.checkPromise(message);
      observer.send(this, message);
    }
    if (ready.snapshot !== undefined) this.restore(ready.snapshot);
    for (const entry of ready.committedEntries) this.apply(entry);
    for (const readState of ready.readStates) observer.readState(this, readState);
    this.raft.advance(ready);
    this.maybeSnapshot();
  }

  /**
   * A granted vote and an append acknowledgement are promises about durable state: by the time
   * they are sent, the Ready's `mustSync` must have made the vote and the entries durable.
   */
  private checkPromise(message: Message): void {
    if (message.type === "RequestVoteResult" && message.granted && !message.preVote) {
      const durable = this.storage.durableHardState();
      expectInvariant(
        durable.term > message.term ||
          (durable.term === message.term && durable.vote === message.to),
        () =>
          this.describe(
            `grants its term-${message.term} vote to ${message.to} before it is durable ` +
              `(durable term ${durable.term}, vote ${String(durable.vote)})`,
          ),
      );
    } else if (message.type === "AppendEntriesResult" && message.success) {
      const index = message.index;
      const durableTerm = this.storage.durableTerm(index);
      const liveTerm = this.storage.term(index);
      const durable =
        index < this.storage.durableFirstIndex() ||
        (durableTerm !== undefined && (liveTerm === undefined || liveTerm === durableTerm));
      expectInvariant(durable, () =>
        this.describe(
          `acknowledges ${index} before it is durable (durable log ends at ${this.storage.durableLastIndex()})`,
        ),
      );
    }
  }

  /** Step 1 of the contract: snapshot, then entries, then hard state. */
  private persist(ready: Ready): void {
    const { observer } = this.options;
    if (ready.snapshot !== undefined) {
      this.storage.applySnapshot(ready.snapshot);
      this.commitIndex = Math.max(this.commitIndex, ready.snapshot.metadata.index);
    }
    if (ready.entries.length > 0) {
      this.storage.append(ready.entries);
      observer.persisted(this, ready.entries);
    }
    const hardState = ready.hardState;
    if (hardState !== undefined) {
      const previous = this.commitIndex;
      expectInvariant(hardState.commitIndex >= previous || ready.snapshot !== undefined, () =>
        this.describe(`commit index went back from ${previous} to ${hardState.commitIndex}`),
      );
      expectInvariant(hardState.commitIndex <= this.storage.lastIndex(), () =>
        this.describe(
          `commit ${hardState.commitIndex} past the persisted log (${this.storage.lastIndex()})`,
        ),
      );
      this.storage.setHardState(hardState);
      this.commitIndex = Math.max(previous, hardState.commitIndex);
      observer.hardState(this, hardState, previous);
    }
  }

  private restore(snapshot: Snapshot): void {
    const before = this.kvState.appliedIndex();
    expectInvariant(snapshot.metadata.index > before, () =>
      this.describe(
        `restores a snapshot at ${snapshot.metadata.index}, not past applied ${before}`,
      ),
    );
    this.kvState = KvStateMachine.restore(snapshot.data);
    expectInvariant(this.kvState.appliedIndex() === snapshot.metadata.index, () =>
      this.describe(
        `snapshot at ${snapshot.metadata.index} holds state at ${this.kvState.appliedIndex()}`,
      ),
    );
    this.options.observer.snapshotRestored(this, snapshot);
  }

  /** Step 3: an entry is applied only once committed and persisted, right after the last one. */
  private apply(entry: Entry): void {
    expectInvariant(entry.index <= this.commitIndex, () =>
      this.describe(`applies ${entry.index} before it is committed (commit ${this.commitIndex})`),
    );
    expectInvariant(
      entry.index < this.storage.firstIndex() || this.storage.term(entry.index) === entry.term,
      () => this.describe(`applies ${entry.index}/${entry.term}, which its log does not hold`),
    );
    expectInvariant(entry.index === this.kvState.appliedIndex() + 1, () =>
      this.describe(`applies ${entry.index} right after ${this.kvState.appliedIndex()}`),
    );
    const applied =
      entry.type === "normal" ? this.kvState.apply(entry.index, entry.data) : undefined;
    if (entry.type !== "normal") this.kvState.skip(entry.index);
    this.options.observer.applied(this, entry, applied);
  }

  /** Snapshot the state machine every `snapshotEntries` entries; keep some trailing entries. */
  private maybeSnapshot(): void {
    const { world, observer } = this.options;
    const applied = this.kvState.appliedIndex();
    const last = this.storage.snapshot().metadata.index;
    if (applied < last + world.snapshotEntries) return;
    const data = this.kvState.snapshot();
    this.storage.createSnapshot(applied, this.raft.status().membership, data);
    this.storage.compact(applied - world.snapshotTrailing);
    observer.snapshotTaken(this, applied, data);
  }
}
