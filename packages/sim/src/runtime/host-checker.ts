/**
 * The invariants of the host itself, checked on what a real FlotillaNode does: persist before
 * send (every vote grant, append acknowledgement and term a host sends is already on its disk),
 * apply after commit (an entry applies only once a majority of the group holds it durably), the
 * same entry at each index on every replica, applies in increasing index order, at most one
 * leader per term per group (from `node.leadership$`), and proposal outcomes that match the log:
 * a resolved proposal carries its own entry's result, and an attempt rejected as "certainly not
 * applied" never applies anywhere. It also answers what applied where, for the `committed$` check. Hooks run inside the host's round, so they never throw: the
 * first broken invariant is recorded and thrown by {@link throwIfBroken} between steps.
 */
import type { NodeId } from "@flotilla/raft";
import type { AppliedEntry, LeadershipEvent, RaftBatch } from "@flotilla/runtime";
import type { GroupStorage } from "@flotilla/storage-lmdb";
import { bytesDigest } from "../entry-digest.js";
import type { KvApplied } from "../kv-state-machine.js";
import { Violation } from "../violation.js";
import { attemptOf } from "./attempt-command.js";
import type { KvApplyObserver, ReplicaRef } from "./checked-kv.js";
import type { RuntimeCoverage } from "./runtime-coverage.js";
import type { SimDisk } from "./sim-disk.js";

/** What the checker needs to know about the cluster. */
export interface CheckedCluster {
  /** The voters of `groupId` (fixed: the runtime has no membership changes yet). */
  members(groupId: string): readonly NodeId[];
  /** The disk of node `nodeId`. */
  disk(nodeId: NodeId): SimDisk;
}

/** An attempt that applied somewhere: where first, and with which answer on each incarnation. */
interface AppliedAttempt {
  readonly first: ReplicaRef;
  readonly byIncarnation: Map<string, KvApplied>;
}

/** Checks the host's invariants; see the file comment. */
export class HostChecker implements KvApplyObserver {
  private broken: string | undefined;
  /** `group` → index → `term:digest` of the entry applied there. */
  private readonly appliedAt = new Map<string, Map<number, string>>();
  private readonly appliedMaxIndex = new Map<string, number>();
  /** `group` → term → leader. */
  private readonly leaders = new Map<string, Map<number, NodeId>>();
  private readonly lastLeader = new Map<string, NodeId>();
  private readonly appliedAttempts = new Map<string, AppliedAttempt>();
  private readonly notApplied = new Map<string, string>();

  constructor(
    private readonly cluster: CheckedCluster,
    private readonly coverage: RuntimeCoverage,
    /** The step being run, for messages. */
    private readonly step: () => number,
  ) {}

  /** Records a broken invariant (the first one wins). */
  fail(message: string): void {
    this.broken ??= `at step ${this.step()}: ${message}`;
  }

  /** Whether something broke. */
  isBroken(): boolean {
    return this.broken !== undefined;
  }

  /** Throws the first broken invariant, if any. */
  throwIfBroken(): void {
    if (this.broken !== undefined) throw new Violation(this.broken);
  }

  /**
   * Persist before send: `from` hands `batch` to its transport. `live` reads what the host
   * believes it stored; its disk says what is durable.
   */
  sent(from: NodeId, live: (groupId: string) => GroupStorage | undefined, batch: RaftBatch): void {
    const disk = this.cluster.disk(from);
    for (const { groupId, message } of batch.messages) {
      const durable = disk.durableGroup(groupId);
      const hardState = durable?.initialState().hardState;
      const durableTerm = hardState?.term ?? 0;
      const where = `${from} → ${message.to} (group ${groupId})`;
      const preVote =
        (message.type === "RequestVote" || message.type === "RequestVoteResult") && message.preVote;
      if (!preVote && message.term > durableTerm) {
        this.fail(
          `persist before send: ${where} sent ${message.type} in term ${message.term} with term ${durableTerm} on disk`,
        );
        return;
      }
      if (message.type === "RequestVoteResult" && message.granted && !preVote) {
        const durableVote = durableTerm === message.term ? hardState?.vote : undefined;
        if (durableTerm === message.term && durableVote !== message.to) {
          this.fail(
            `persist before send: ${where} granted its vote in term ${message.term} with vote ${String(durableVote)} on disk`,
          );
          return;
        }
      }
      if (message.type === "AppendEntriesResult" && message.success && durable !== undefined) {
        const index = message.index;
        const liveTerm = live(groupId)?.term(index);
        const covered = index <= durable.snapshot().metadata.index;
        if (!covered && (durable.term(index) === undefined || durable.term(index) !== liveTerm)) {
          this.fail(
            `persist before send: ${where} acknowledged index ${index} (term ${String(liveTerm)}) with term ${String(durable.term(index))} there on disk (last durable index ${durable.lastIndex()})`,
          );
          return;
        }
      }
    }
  }

  /** A replica applied `entry`: committed (durable on a majority), the same everywhere, in order. */
  applied(
    replica: ReplicaRef,
    entry: AppliedEntry,
    command: Uint8Array,
    applied: KvApplied,
    previousIndex: number,
  ): void {
    const who = `${replica.nodeId}#${replica.incarnation} (group ${replica.groupId})`;
    if (entry.index <= previousIndex) {
      this.fail(`apply order: ${who} applied index ${entry.index} after ${previousIndex}`);
      return;
    }
    this.checkCommitted(who, replica.groupId, entry);
    let byIndex = this.appliedAt.get(replica.groupId);
    if (byIndex === undefined) {
      byIndex = new Map();
      this.appliedAt.set(replica.groupId, byIndex);
    }
    const digest = this.digestOf(entry.term, entry.data);
    const earlier = byIndex.get(entry.index);
    if (earlier === undefined) {
      byIndex.set(entry.index, digest);
      if (entry.index > this.appliedMax(replica.groupId))
        this.appliedMaxIndex.set(replica.groupId, entry.index);
    } else if (earlier !== digest) {
      this.fail(
        `state machine safety: ${who} applied ${digest} at index ${entry.index} where another replica applied ${earlier}`,
      );
    }
    this.recordAttempt(replica, who, entry.index, command, applied);
  }

  /** What the replicas applied at `index` of `groupId` (`term:digest`), if any applied it. */
  appliedDigest(groupId: string, index: number): string | undefined {
    return this.appliedAt.get(groupId)?.get(index);
  }

  /** The first index strictly between `afterIndex` and `beforeIndex` where an entry applied. */
  firstAppliedBetween(
    groupId: string,
    afterIndex: number,
    beforeIndex: number,
  ): number | undefined {
    const byIndex = this.appliedAt.get(groupId);
    if (byIndex === undefined) return undefined;
    for (let index = afterIndex + 1; index < beforeIndex; index++) {
      if (byIndex.has(index)) return index;
    }
    return undefined;
  }

  /** The node that led `groupId` in `term`, as `leadership$` reported it. */
  leaderOf(groupId: string, term: number): NodeId | undefined {
    return this.leaders.get(groupId)?.get(term);
  }

  /** The highest index where an entry of `groupId` applied so far (0 if none). */
  appliedMax(groupId: string): number {
    return this.appliedMaxIndex.get(groupId) ?? 0;
  }

  /** How an applied entry is remembered: its term and a digest of its bytes. */
  digestOf(term: number, data: Uint8Array): string {
    return `${term}:${bytesDigest(data)}`;
  }

  restored(_replica: ReplicaRef, atStart: boolean): void {
    if (!atStart) this.coverage.snapshotsInstalled++;
  }

  /** A leadership event of `nodeId`'s host. */
  leadership(nodeId: NodeId, event: LeadershipEvent): void {
    if (event.role !== "leader") return;
    let byTerm = this.leaders.get(event.groupId);
    if (byTerm === undefined) {
      byTerm = new Map();
      this.leaders.set(event.groupId, byTerm);
    }
    const earlier = byTerm.get(event.term);
    if (earlier !== undefined) {
      if (earlier !== nodeId) {
        this.fail(
          `election safety: ${nodeId} and ${earlier} both lead group ${event.groupId} in term ${event.term}`,
        );
      }
      return;
    }
    byTerm.set(event.term, nodeId);
    this.coverage.elections++;
    const previous = this.lastLeader.get(event.groupId);
    if (previous !== undefined && previous !== nodeId) this.coverage.leaderChanges++;
    this.lastLeader.set(event.groupId, nodeId);
  }

  /**
   * A proposal attempt on `replica` resolved with `value`: it must be the answer the state
   * machine gave when that very replica applied this attempt's entry.
   */
  proposalResolved(replica: ReplicaRef, attempt: string, value: unknown): void {
    const applied = this.appliedAttempts.get(attempt)?.byIncarnation.get(incarnationKey(replica));
    if (applied === undefined || applied !== value) {
      this.fail(
        `future: attempt ${attempt} resolved on ${replica.nodeId}#${replica.incarnation} with ${JSON.stringify(value)}, ` +
          (applied === undefined
            ? "but it never applied there"
            : "not the answer its entry produced"),
      );
    }
  }

  /** An attempt was rejected with an error that says it certainly did not apply. */
  certainlyNotApplied(attempt: string, error: string): void {
    const applied = this.appliedAttempts.get(attempt);
    if (applied !== undefined) {
      this.fail(
        `future: attempt ${attempt} rejected with ${error} (certainly not applied), but ${applied.first.nodeId} applied it`,
      );
      return;
    }
    this.notApplied.set(attempt, error);
  }

  private checkCommitted(who: string, groupId: string, entry: AppliedEntry): void {
    const members = this.cluster.members(groupId);
    let holders = 0;
    for (const member of members) {
      const durable = this.cluster.disk(member).durableGroup(groupId);
      if (durable === undefined) continue;
      if (
        entry.index <= durable.snapshot().metadata.index ||
        durable.term(entry.index) === entry.term
      ) {
        holders++;
      }
    }
    if (2 * holders <= members.length) {
      this.fail(
        `apply after commit: ${who} applied index ${entry.index} (term ${entry.term}) held durably by ${holders} of ${members.length} members`,
      );
    }
  }

  private recordAttempt(
    replica: ReplicaRef,
    who: string,
    index: number,
    command: Uint8Array,
    applied: KvApplied,
  ): void {
    const attempt = attemptOf(command);
    if (attempt === undefined) return;
    const rejected = this.notApplied.get(attempt);
    if (rejected !== undefined) {
      this.fail(
        `future: attempt ${attempt} was rejected with ${rejected} (certainly not applied), but ${who} applied it at index ${index}`,
      );
    }
    let record = this.appliedAttempts.get(attempt);
    if (record === undefined) {
      record = { first: replica, byIncarnation: new Map() };
      this.appliedAttempts.set(attempt, record);
    }
    record.byIncarnation.set(incarnationKey(replica), applied);
  }
}

function incarnationKey(replica: ReplicaRef): string {
  return `${replica.nodeId}#${replica.incarnation}/${replica.groupId}`;
}
