/**
 * The internal state of one replica's core and the role transitions every rule file shares.
 * Roles are a discriminated union, so leader-only state (progress, pending reads, a transfer in
 * progress) exists only while leading, and is dropped on every step down.
 */
import type { NodeId } from "./ids.js";
import { isVoter, type Membership } from "./membership.js";
import type { Message } from "./message.js";
import { Progress } from "./progress.js";
import { RaftLog } from "./raft-log.js";
import type { ResolvedRaftConfig } from "./raft-config.js";
import type { ReadState } from "./ready.js";
import { ReadOnlyQueue } from "./read-only.js";
import { allMembers } from "./membership.js";
import { assert } from "./assert.js";
import { StorageInconsistencyError } from "./storage-inconsistency-error.js";

/** A follower, possibly knowing its leader. */
export interface FollowerRole {
  readonly type: "follower";
  leaderId: NodeId | undefined;
}

/** A (pre-)candidate collecting votes. */
export interface CandidateRole {
  readonly type: "candidate" | "pre-candidate";
  readonly votes: Map<NodeId, boolean>;
}

/** A read received before the leader committed an entry of its term; served once it has. */
export interface DeferredRead {
  readonly context: Uint8Array;
  readonly requester: NodeId;
}

/** The leader and everything only a leader has. */
export interface LeaderRole {
  readonly type: "leader";
  readonly progress: Map<NodeId, Progress>;
  readonly reads: ReadOnlyQueue;
  readonly deferredReads: DeferredRead[];
  /** The target of a leadership transfer in progress. */
  leadTransferee: NodeId | undefined;
  /** A config entry at or below this index may be unapplied: no new change until it applies. */
  pendingConfigIndex: number;
  /** Bytes of appended but uncommitted entries (backpressure). */
  uncommittedBytes: number;
  heartbeatElapsed: number;
  /** Ticks since taking office: the clock for each follower's `lastHeardTick`. */
  ticks: number;
}

export type RoleState = FollowerRole | CandidateRole | LeaderRole;

/** At most this many reads wait for a leader's first commit in its term. */
export const DEFERRED_READS_MAX = 4096;

/** One replica's core state. Mutated only by the rule files and the {@link Raft} facade. */
export class RaftState {
  readonly config: ResolvedRaftConfig;
  readonly id: NodeId;
  readonly log: RaftLog;
  term: number;
  vote: NodeId | undefined;
  role: RoleState = { type: "follower", leaderId: undefined };
  membership: Membership;
  electionElapsed = 0;
  randomizedElectionTimeout = 0;
  messages: Message[] = [];
  /**
   * How many of `messages` the outstanding Ready handed out (0 when none is outstanding). Those
   * are the host's now: only messages after them may still be withdrawn.
   */
  handedOutMessages = 0;
  readStates: ReadState[] = [];

  constructor(config: ResolvedRaftConfig) {
    this.config = config;
    this.id = config.id;
    this.log = new RaftLog(config.storage);
    const { hardState, membership } = config.storage.initialState();
    assert(
      hardState.commitIndex <= this.log.lastIndex(),
      `persisted commit ${hardState.commitIndex} past last index ${this.log.lastIndex()}`,
    );
    this.term = hardState.term;
    this.vote = hardState.vote;
    this.membership = membership;
    this.log.commitTo(hardState.commitIndex);
    if (config.appliedIndex !== undefined) {
      // A state machine ahead of its own log means the log lost entries it once held (and so
      // may have acknowledged): fail-stop with a clear error instead of claiming them.
      if (config.appliedIndex > this.log.lastIndex()) {
        throw new StorageInconsistencyError(config.id, config.appliedIndex, this.log.lastIndex());
      }
      // What the host applied was committed, even where the stored commit index (a hint the
      // host may write lazily) is older: a state machine snapshot can be ahead of it.
      this.log.commitTo(config.appliedIndex);
      this.log.appliedTo(config.appliedIndex);
    }
    this.resetElectionTimer();
  }

  leaderId(): NodeId | undefined {
    switch (this.role.type) {
      case "leader":
        return this.id;
      case "follower":
        return this.role.leaderId;
      case "candidate":
      case "pre-candidate":
        return undefined;
    }
  }

  /** Voters may campaign; learners, removed nodes and a node restoring a snapshot may not. */
  promotable(): boolean {
    return isVoter(this.membership, this.id) && this.log.unstable.snapshot === undefined;
  }

  send(message: Message): void {
    assert(message.to !== this.id, `a replica never messages itself (${message.type})`);
    this.messages.push(message);
  }

  /**
   * The log is about to lose its entries from `fromIndex` on (a newer leader's conflicting
   * entries, or a snapshot that replaces the log): withdraw every acknowledgement not yet handed
   * out that claims an entry at or past it. Such an acknowledgement would reach the host in the
   * same Ready as the truncation, whose write never holds the entry it claims, so it would be a
   * promise about an entry this replica neither stores nor will store (simulator seed 7275).
   * Withdrawing is always safe: to the leader it is a lost message. An acknowledgement already
   * handed out was true when its Ready's write made the entry durable.
   */
  withdrawAcknowledgementsFrom(fromIndex: number): void {
    const kept = this.messages.filter(
      (message, position) =>
        position < this.handedOutMessages ||
        message.type !== "AppendEntriesResult" ||
        !message.success ||
        message.index < fromIndex,
    );
    if (kept.length !== this.messages.length) this.messages = kept;
  }

  /** Moves to `term`, clearing the vote when the term changes. */
  private moveToTerm(term: number): void {
    if (term !== this.term) {
      assert(term > this.term, `term goes backwards: ${this.term} -> ${term}`);
      this.term = term;
      this.vote = undefined;
    }
  }

  /** Restarts the election timer with a fresh random timeout in [T, 2T) (Raft §5.2). */
  resetElectionTimer(): void {
    this.electionElapsed = 0;
    const base = this.config.electionTicks;
    this.randomizedElectionTimeout = base + this.config.random.nextInt(base);
  }

  becomeFollower(term: number, leaderId: NodeId | undefined): void {
    this.moveToTerm(term);
    this.resetElectionTimer();
    this.role = { type: "follower", leaderId };
  }

  /**
   * Adopts a candidate's higher term without restarting the election timer: Raft's Figure 2
   * restarts it only on granting the vote (handleRequestVote does). Otherwise a stale candidate
   * that keeps losing would keep every up-to-date node from ever timing out (found by the
   * simulator with PreVote off and a fast-clocked stale node).
   */
  adoptCandidateTerm(term: number): void {
    this.moveToTerm(term);
    this.role = { type: "follower", leaderId: undefined };
  }

  becomePreCandidate(): void {
    assert(this.role.type !== "leader", "a leader never becomes a pre-candidate");
    // PreVote does not change the term or the vote (dissertation §9.6); only the timer restarts.
    this.resetElectionTimer();
    this.role = { type: "pre-candidate", votes: new Map() };
  }

  becomeCandidate(): void {
    assert(this.role.type !== "leader", "a leader never becomes a candidate");
    this.moveToTerm(this.term + 1);
    this.resetElectionTimer();
    this.vote = this.id;
    this.role = { type: "candidate", votes: new Map() };
  }

  becomeLeader(): void {
    assert(this.role.type === "candidate", "only a candidate becomes leader");
    this.resetElectionTimer();
    const lastIndex = this.log.lastIndex();
    const progress = new Map<NodeId, Progress>();
    for (const member of allMembers(this.membership)) {
      progress.set(member, this.newProgress(member, lastIndex));
    }
    this.role = {
      type: "leader",
      progress,
      reads: new ReadOnlyQueue(),
      deferredReads: [],
      leadTransferee: undefined,
      // Any entry up to here might be an unapplied config change: wait for it to apply.
      pendingConfigIndex: lastIndex,
      uncommittedBytes: 0,
      heartbeatElapsed: 0,
      ticks: 0,
    };
  }

  /** A fresh progress entry for `member` when the leader's log ends at `lastIndex`. */
  newProgress(member: NodeId, lastIndex: number): Progress {
    const progress = new Progress(0, lastIndex + 1, this.config.inflightMessagesMax);
    if (member === this.id) {
      // The leader matches itself only as far as its log is persisted.
      progress.match = this.log.unstable.offset - 1;
      progress.becomeReplicate();
    }
    return progress;
  }

  pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }
}
