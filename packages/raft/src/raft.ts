/**
 * `Raft`: one group's replica as a pure, deterministic state machine (etcd-io/raft's RawNode).
 * Inputs are method calls; outputs are collected into a {@link Ready} that the host persists,
 * sends and applies before calling {@link Raft.advance}. No timers, no I/O, no clock.
 */
import type { NodeId } from "./ids.js";
import { EntryType, type Entry } from "./entry.js";
import { hardStateEquals, type HardState } from "./hard-state.js";
import {
  applyMembershipChange,
  isJoint,
  planChange,
  allMembers,
  type Membership,
  type MembershipChange,
  type NodeChange,
} from "./membership.js";
import type { Message } from "./message.js";
import { Rejection, type CommandOutcome, type ProposeOutcome } from "./outcome.js";
import { resolveRaftConfig, type RaftConfig } from "./raft-config.js";
import { RaftState, type LeaderRole } from "./raft-state.js";
import type { Ready, Role, SoftState } from "./ready.js";
import { campaign } from "./election.js";
import {
  afterMembershipChange,
  handOffIfRemoved,
  leaderPropose,
  leaderReadIndex,
  leaderTick,
  leaderTransfer,
  proposalRefusal,
  releaseDeferredReads,
} from "./leader.js";
import { commitAndBroadcast, sendAppend } from "./replication.js";
import { step } from "./step.js";
import {
  forgetLeader,
  quiesce,
  stepDownQuiesced,
  type ForgetLeaderCampaign,
} from "./quiescence.js";
import { assert } from "./assert.js";
import { entriesSizeBytes } from "./entry.js";

/** A snapshot of a replica's state, for operators and tests. */
export interface RaftStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId | undefined;
  readonly role: Role;
  readonly leaderId: NodeId | undefined;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly membership: Membership;
  readonly leadTransferee: NodeId | undefined;
  /**
   * Ticks counted since the election timer last restarted (a follower restarts it on hearing a
   * leader and on granting a vote, never on refusing one: Figure 2).
   */
  readonly electionElapsed: number;
  /** On a leader: each member's match index and replication state. */
  readonly progress:
    ReadonlyMap<NodeId, { match: number; next: number; state: string }> | undefined;
}

/** Bytes of committed entries handed out per Ready, so one Ready stays bounded. */
const COMMITTED_BYTES_PER_READY = 8 * 1024 * 1024;

/**
 * One replica of one Raft group. Single-threaded and synchronous: call it from one actor.
 *
 * @example
 * const storage = new MemoryStorage(membershipOf([nodeId("a")]));
 * const raft = new Raft({ id: nodeId("a"), storage, random: new SeededRandom(1) });
 * raft.campaign();
 * const ready = raft.ready();
 * // persist ready.entries / ready.hardState, send ready.messages, apply ready.committedEntries…
 * raft.advance(ready);
 */
export class Raft {
  private readonly r: RaftState;
  private previousSoftState: SoftState;
  private previousHardState: HardState;

  constructor(config: RaftConfig) {
    this.r = new RaftState(resolveRaftConfig(config));
    this.previousSoftState = this.softState();
    this.previousHardState = this.hardState();
  }

  /** Advances logical time by one tick: election timeouts, heartbeats, CheckQuorum. */
  tick(): void {
    const r = this.r;
    if (r.role.type === "leader") {
      leaderTick(r, r.role);
      return;
    }
    r.electionElapsed++;
    if (r.promotable() && r.pastElectionTimeout()) {
      r.electionElapsed = 0;
      campaign(r, r.config.preVote ? "pre-vote" : "election");
    }
  }

  /** Feeds a message from another replica. Messages this replica cannot use are ignored. */
  step(message: Message): void {
    step(this.r, message);
    this.afterInput();
  }

  /** Starts an election now (tests, bootstrap, operator action). */
  campaign(): void {
    if (this.r.role.type === "leader") return;
    campaign(this.r, this.r.config.preVote ? "pre-vote" : "election");
  }

  /**
   * Proposes an application command. On the leader it is appended at once; on a follower it is
   * forwarded or rejected as configured. Never dropped silently: see {@link ProposeOutcome}.
   */
  propose(data: Uint8Array): ProposeOutcome {
    const r = this.r;
    if (r.role.type !== "leader") return this.notLeader([data]);
    const refusal = proposalRefusal(r, r.role, data.byteLength);
    if (refusal !== undefined) return refusal;
    return leaderPropose(r, r.role, [{ type: EntryType.Normal, data }]);
  }

  /**
   * Proposes several application commands at once: on the leader they are appended together
   * (one append message per follower instead of one per command) and take the consecutive
   * indexes ending at the accepted `index` — the first at `index - data.length + 1`. Refused
   * (or forwarded) as a whole.
   */
  proposeBatch(data: readonly Uint8Array[]): ProposeOutcome {
    const r = this.r;
    if (data.length === 0) throw new RangeError("proposeBatch needs at least one command");
    if (r.role.type !== "leader") return this.notLeader(data);
    const size = data.reduce((bytes, d) => bytes + d.byteLength, 0);
    const refusal = proposalRefusal(r, r.role, size);
    if (refusal !== undefined) return refusal;
    return leaderPropose(
      r,
      r.role,
      data.map((d) => ({ type: EntryType.Normal, data: d })),
    );
  }

  /**
   * Proposes a membership change (leader only). Voter changes go through joint consensus; the
   * leader proposes leaving the joint configuration once entering it has applied.
   */
  changeMembership(changes: readonly NodeChange[]): ProposeOutcome {
    const r = this.r;
    if (r.role.type !== "leader") {
      return { type: "rejected", reason: this.notLeaderReason(), leaderHint: r.leaderId() };
    }
    const refusal = proposalRefusal(r, r.role, 0);
    if (refusal !== undefined) return refusal;
    if (r.role.pendingConfigIndex > r.log.applied || isJoint(r.membership)) {
      return { type: "rejected", reason: Rejection.ChangePending, leaderHint: r.id };
    }
    const change = planChange(r.membership, changes);
    if (typeof change === "string") {
      return {
        type: "rejected",
        reason: Rejection.InvalidChange,
        leaderHint: r.id,
        detail: change,
      };
    }
    const outcome = leaderPropose(r, r.role, [{ type: EntryType.Config, change }]);
    if (outcome.type === "accepted") r.role.pendingConfigIndex = outcome.index;
    return outcome;
  }

  /**
   * Asks for a linearizable read point. A {@link ReadState} with this `context` appears in a
   * later Ready once leadership is confirmed, or never (leader lost: time it out). Each read
   * needs a fresh, unique context (etcd-io/raft #397).
   */
  readIndex(context: Uint8Array): CommandOutcome {
    const r = this.r;
    switch (r.role.type) {
      case "leader": {
        const outcome = leaderReadIndex(r, r.role, context, r.id);
        this.afterInput();
        return outcome;
      }
      case "follower":
        if (r.role.leaderId === undefined) break;
        r.send({
          type: "ReadIndexRequest",
          from: r.id,
          to: r.role.leaderId,
          term: r.term,
          context,
        });
        return { type: "pending" };
      case "candidate":
      case "pre-candidate":
        break;
    }
    return { type: "rejected", reason: Rejection.NoLeader, leaderHint: undefined };
  }

  /** Hands leadership to `to` (leader only): catch it up, then send TimeoutNow. */
  transferLeadership(to: NodeId): CommandOutcome {
    const r = this.r;
    if (r.role.type !== "leader") {
      return { type: "rejected", reason: this.notLeaderReason(), leaderHint: r.leaderId() };
    }
    return leaderTransfer(r, r.role, to);
  }

  /**
   * Quiesces an idle group (leader only; see quiescence.ts): when every member holds the whole
   * log, all of it applied, and nothing waits on the clock, tells the followers to stop ticking
   * and returns true. The host then stops ticking this replica until its next input. Members in
   * `unreachable` (the host's failure detector says their node is down) need not hold the log,
   * as long as the others make a quorum; they wake the group when they return.
   */
  quiesce(unreachable?: ReadonlySet<NodeId>): boolean {
    const leader = this.leaderRole();
    return leader !== undefined && quiesce(this.r, leader, unreachable);
  }

  /**
   * A follower forgets its leader because the host's failure detector says the leader's node
   * is dead (etcd-io/raft's ForgetLeader): it may then grant votes at once and campaigns within
   * the random part of its election timeout — or, with `"later"`, after a whole timeout from
   * now, when the host has picked another member to campaign first. Does nothing on a leader
   * or candidate.
   */
  forgetLeader(campaign: ForgetLeaderCampaign = "soon"): void {
    forgetLeader(this.r, campaign);
  }

  /**
   * A quiesced leader steps down because the host no longer hears a quorum of its voters'
   * nodes, as CheckQuorum would once ticking. Does nothing unless leader.
   */
  stepDown(): void {
    stepDownQuiesced(this.r);
  }

  /** The transport could not reach `to`: stop pipelining to it and probe instead. */
  reportUnreachable(to: NodeId): void {
    const progress = this.leaderRole()?.progress.get(to);
    if (progress !== undefined && progress.state === "replicate") progress.becomeProbe();
  }

  /** The snapshot sent to `to` was delivered (or failed): resume normal replication. */
  reportSnapshot(to: NodeId, success: boolean): void {
    const progress = this.leaderRole()?.progress.get(to);
    if (progress === undefined || progress.state !== "snapshot") return;
    if (!success) progress.pendingSnapshotIndex = 0;
    progress.becomeProbe();
    // Wait for the follower's answer (or a heartbeat) before the next append.
    progress.probeSent = true;
  }

  /** Whether {@link ready} has anything to hand out. */
  hasReady(): boolean {
    const r = this.r;
    return (
      r.messages.length > 0 ||
      r.readStates.length > 0 ||
      r.log.unstable.entries.length > 0 ||
      r.log.unstable.snapshot !== undefined ||
      r.log.hasNextCommittedEntries() ||
      !softStateEquals(this.softState(), this.previousSoftState) ||
      !hardStateEquals(this.hardState(), this.previousHardState)
    );
  }

  /** Everything the host must do now, in the order {@link Ready} documents. */
  ready(): Ready {
    const r = this.r;
    const softState = this.softState();
    const hardState = this.hardState();
    const hardChanged = !hardStateEquals(hardState, this.previousHardState);
    const entries = [...r.log.unstable.entries];
    const snapshot = r.log.unstable.snapshot;
    r.handedOutMessages = r.messages.length;
    return {
      softState: softStateEquals(softState, this.previousSoftState) ? undefined : softState,
      hardState: hardChanged ? hardState : undefined,
      entries,
      snapshot,
      committedEntries: r.log.nextCommittedEntries(COMMITTED_BYTES_PER_READY),
      messages: [...r.messages],
      readStates: [...r.readStates],
      mustSync:
        entries.length > 0 ||
        snapshot !== undefined ||
        hardState.term !== this.previousHardState.term ||
        hardState.vote !== this.previousHardState.vote,
    };
  }

  /** The host has done everything `ready` asked. */
  advance(ready: Ready): void {
    const r = this.r;
    if (ready.softState !== undefined) this.previousSoftState = ready.softState;
    if (ready.hardState !== undefined) this.previousHardState = ready.hardState;
    r.messages.splice(0, ready.messages.length);
    r.handedOutMessages = 0;
    r.readStates.splice(0, ready.readStates.length);
    if (ready.snapshot !== undefined) {
      const index = ready.snapshot.metadata.index;
      r.log.unstable.stableSnapshotTo(index);
      if (index > r.log.applied) r.log.applied = index;
    }
    const lastPersisted = ready.entries[ready.entries.length - 1];
    if (lastPersisted !== undefined) {
      r.log.unstable.stableTo(lastPersisted.index, lastPersisted.term);
      this.leaderPersisted(r.log.unstable.offset - 1);
    }
    this.applied(ready.committedEntries);
    this.afterInput();
  }

  /** Role, leader and term now: what `status()` says, without its cost (no progress copy). */
  softStatus(): SoftState {
    return this.softState();
  }

  /**
   * The last index the host has reported stored through {@link advance}: stable storage holds
   * this replica's entries up to it. Past it nothing in storage is vouched for — entries of a
   * Ready not yet advanced may still be in flight (and may already be committed and applied),
   * and a conflicting suffix may await its replacement. A host that serves entries from storage
   * (catch-up pages, committed streams) serves none past it ("Serve only what you hold").
   */
  storedIndex(): number {
    const log = this.r.log;
    // An incoming snapshot not yet stored: storage still holds the old log, whose entries agree
    // with the group's history only up to what was applied before it (a Ready with a snapshot
    // applies after its write).
    if (log.unstable.snapshot !== undefined) return Math.min(log.applied, log.storage.lastIndex());
    return log.unstable.offset - 1;
  }

  /** The current configuration (voters, learners, joint): `status().membership` without a copy. */
  membership(): Membership {
    return this.r.membership;
  }

  /** The replica's state now. */
  status(): RaftStatus {
    const r = this.r;
    const leader = this.leaderRole();
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      role: r.role.type,
      leaderId: r.leaderId(),
      commitIndex: r.log.committed,
      appliedIndex: r.log.applied,
      firstIndex: r.log.firstIndex(),
      lastIndex: r.log.lastIndex(),
      membership: r.membership,
      leadTransferee: leader?.leadTransferee,
      electionElapsed: r.electionElapsed,
      progress:
        leader === undefined
          ? undefined
          : new Map(
              [...leader.progress].map(([id, p]) => [
                id,
                { match: p.match, next: p.next, state: p.state },
              ]),
            ),
    };
  }

  private applied(entries: readonly Entry[]): void {
    const r = this.r;
    const last = entries[entries.length - 1];
    if (last === undefined) return;
    r.log.appliedTo(last.index);
    const leader = this.leaderRole();
    if (leader !== undefined) {
      leader.uncommittedBytes = Math.max(0, leader.uncommittedBytes - entriesSizeBytes(entries));
    }
    for (const entry of entries) {
      if (entry.type === EntryType.Config) this.applyMembership(entry.change);
    }
  }

  private applyMembership(change: MembershipChange): void {
    const r = this.r;
    const next = applyMembershipChange(r.membership, change);
    // Leaders validate a change against the membership it will apply to (one change at a time,
    // applied in log order), so a committed change that does not apply means replicas disagree
    // on membership: fail-stop rather than run on with a divergent configuration.
    if (typeof next === "string") {
      assert(false, `committed membership change does not apply: ${next}`);
      return;
    }
    r.membership = next;
    const leader = this.leaderRole();
    if (leader === undefined) return;
    const members = new Set(allMembers(next));
    for (const id of [...leader.progress.keys()]) if (!members.has(id)) leader.progress.delete(id);
    for (const id of members) {
      if (leader.progress.has(id)) continue;
      const progress = r.newProgress(id, r.log.lastIndex());
      // A new member gets a full election timeout before it counts as unheard (CheckQuorum),
      // and is probed at once rather than at the next heartbeat.
      progress.lastHeardTick = leader.ticks;
      leader.progress.set(id, progress);
      sendAppend(r, leader, id, true);
    }
    afterMembershipChange(r, leader);
    // A leader that removed (or demoted) itself keeps leading, not counting itself, until it
    // has handed over: stepping down at once could leave the others in the joint configuration
    // without knowing it was left, needing a vote the removed node may not give (found by the
    // simulator, seeds in test/sim/regressions.test.ts).
    handOffIfRemoved(r, leader);
  }

  /** Leader-only follow-ups after any input: leave a joint configuration, serve deferred reads. */
  private afterInput(): void {
    const r = this.r;
    const leader = this.leaderRole();
    if (leader === undefined) return;
    // Leave a joint configuration as soon as entering it has applied (etcd's auto-leave).
    if (
      isJoint(r.membership) &&
      r.log.applied >= leader.pendingConfigIndex &&
      leader.leadTransferee === undefined
    ) {
      const outcome = leaderPropose(r, leader, [
        { type: EntryType.Config, change: { kind: "leave-joint" } },
      ]);
      if (outcome.type === "accepted") leader.pendingConfigIndex = outcome.index;
    }
    releaseDeferredReads(r, leader);
  }

  private leaderPersisted(index: number): void {
    const leader = this.leaderRole();
    if (leader === undefined) return;
    const self = leader.progress.get(this.r.id);
    if (self !== undefined && self.maybeUpdate(index)) commitAndBroadcast(this.r, leader);
  }

  private leaderRole(): LeaderRole | undefined {
    return this.r.role.type === "leader" ? this.r.role : undefined;
  }

  private notLeader(data: readonly Uint8Array[]): ProposeOutcome {
    const r = this.r;
    const leaderId = r.leaderId();
    if (leaderId === undefined)
      return { type: "rejected", reason: Rejection.NoLeader, leaderHint: undefined };
    if (r.config.proposalForwarding === "reject") {
      return { type: "rejected", reason: Rejection.NotLeader, leaderHint: leaderId };
    }
    r.send({ type: "ForwardedProposal", from: r.id, to: leaderId, term: r.term, data });
    return { type: "forwarded", to: leaderId };
  }

  private notLeaderReason(): Rejection {
    return this.r.leaderId() === undefined ? Rejection.NoLeader : Rejection.NotLeader;
  }

  private softState(): SoftState {
    return { role: this.r.role.type, leaderId: this.r.leaderId(), term: this.r.term };
  }

  private hardState(): HardState {
    return { term: this.r.term, vote: this.r.vote, commitIndex: this.r.log.committed };
  }
}

function softStateEquals(a: SoftState, b: SoftState): boolean {
  return a.role === b.role && a.leaderId === b.leaderId && a.term === b.term;
}
