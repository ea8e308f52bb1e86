/**
 * Raft's safety properties (Raft Figure 3), checked on every write, apply and step of the whole
 * run, across crashes and restarts: election safety (one leader per term), at most one vote per
 * term per replica, log matching (inductively: every entry with the same index and term carries
 * the same payload and the same previous term), leader completeness, state machine safety (one
 * entry and one snapshot state per index), and commit/apply monotonicity on a live replica.
 */
import type { Entry, HardState, Message, NodeId, RaftStatus } from "@flotilla/raft";
import type { Coverage } from "./coverage.js";
import { bytesDigest, entryDigest } from "./entry-digest.js";
import type { ReplicaHost } from "./replica-host.js";
import { expectInvariant } from "./violation.js";

/** What one group's replicas have done, as far as the checker has seen. */
interface GroupRecord {
  /** term → the node that led it. */
  readonly leaders: Map<number, NodeId>;
  lastLeader: NodeId | undefined;
  lastLeaderTerm: number;
  /** index → term → (payload, previous entry's term): the inductive form of Log Matching. */
  readonly entries: Map<number, Map<number, { digest: string; previousTerm: number }>>;
  /** index → the committed entry, and the lowest term in which a replica reported it committed. */
  readonly committed: Map<number, { term: number; digest: string; commitTerm: number }>;
  committedMax: number;
  /** index → the entry some replica applied there. */
  readonly applied: Map<number, { term: number; digest: string }>;
  /** index → digest of the state machine snapshot taken there. */
  readonly snapshots: Map<number, string>;
  /** `node@term` → the candidate it voted for. */
  readonly votes: Map<string, NodeId>;
  /** `node@term` of leaders whose log was checked for completeness. */
  readonly completenessChecked: Set<string>;
}

/** A replica that was seen leading a term for the first time. */
export interface NewLeader {
  readonly groupId: string;
  readonly term: number;
  readonly nodeId: NodeId;
}

/** Per live incarnation: what its status said last step. */
interface LastStatus {
  readonly term: number;
  readonly commitIndex: number;
}

/**
 * Checks every safety property it is told about; throws a Violation on the first broken one.
 */
export class SafetyChecker {
  private readonly groups = new Map<string, GroupRecord>();
  private readonly lastStatus = new WeakMap<ReplicaHost, LastStatus>();

  constructor(private readonly coverage: Coverage) {}

  /** A message is about to be sent: a granted vote is a promise for the whole term. */
  sent(host: ReplicaHost, message: Message): void {
    if (message.type !== "RequestVoteResult" || !message.granted || message.preVote) return;
    const votes = this.group(host.groupId).votes;
    const key = `${host.nodeId}@${message.term}`;
    const earlier = votes.get(key);
    expectInvariant(earlier === undefined || earlier === message.to, () =>
      host.describe(
        `votes for ${message.to} in term ${message.term} after voting for ${String(earlier)}`,
      ),
    );
    votes.set(key, message.to);
  }

  /** `entries` were appended to `host`'s log: each must agree with every copy seen before. */
  persisted(host: ReplicaHost, entries: readonly Entry[]): void {
    const record = this.group(host.groupId);
    const firstIndex = host.storage.firstIndex();
    for (const entry of entries) {
      if (entry.index < firstIndex) continue;
      const previousTerm = host.storage.term(entry.index - 1) ?? -1;
      const digest = entryDigest(entry);
      let byTerm = record.entries.get(entry.index);
      if (byTerm === undefined) {
        byTerm = new Map();
        record.entries.set(entry.index, byTerm);
      }
      const seen = byTerm.get(entry.term);
      if (seen === undefined) {
        byTerm.set(entry.term, { digest, previousTerm });
        continue;
      }
      expectInvariant(seen.digest === digest && seen.previousTerm === previousTerm, () =>
        host.describe(
          `log matching: entry ${entry.index}/${entry.term} is ${digest} after term ${previousTerm}, ` +
            `elsewhere ${seen.digest} after term ${seen.previousTerm}`,
        ),
      );
    }
  }

  /** `host` persisted a hard state: entries up to its commit index are committed for good. */
  hardState(host: ReplicaHost, hardState: HardState, previousCommitIndex: number): void {
    const record = this.group(host.groupId);
    const from = Math.max(previousCommitIndex + 1, host.storage.firstIndex());
    if (hardState.commitIndex < from) return;
    const entries = host.storage.entries(from, hardState.commitIndex + 1, Number.POSITIVE_INFINITY);
    for (const entry of entries) {
      const digest = entryDigest(entry);
      const known = record.committed.get(entry.index);
      if (known === undefined) {
        record.committed.set(entry.index, { term: entry.term, digest, commitTerm: hardState.term });
        record.committedMax = Math.max(record.committedMax, entry.index);
        continue;
      }
      expectInvariant(known.term === entry.term && known.digest === digest, () =>
        host.describe(
          `commits ${entry.index}/${entry.term} (${digest}) where ${entry.index}/${known.term} ` +
            `(${known.digest}) was committed`,
        ),
      );
      if (hardState.term < known.commitTerm) {
        record.committed.set(entry.index, { ...known, commitTerm: hardState.term });
      }
    }
  }

  /** State machine safety: every replica applies the same entry at each index. */
  applied(host: ReplicaHost, entry: Entry): void {
    const record = this.group(host.groupId);
    const digest = entryDigest(entry);
    const known = record.applied.get(entry.index);
    if (known === undefined) {
      record.applied.set(entry.index, { term: entry.term, digest });
      if (entry.type === "config") this.coverage.membershipChanges++;
      return;
    }
    expectInvariant(known.term === entry.term && known.digest === digest, () =>
      host.describe(
        `state machine safety: applies ${entry.index}/${entry.term} (${digest}) where another ` +
          `replica applied ${entry.index}/${known.term} (${known.digest})`,
      ),
    );
  }

  /** Two snapshots of the same group at the same index hold the same state. */
  snapshotTaken(host: ReplicaHost, index: number, data: Uint8Array): void {
    const snapshots = this.group(host.groupId).snapshots;
    const digest = bytesDigest(data);
    const known = snapshots.get(index);
    expectInvariant(known === undefined || known === digest, () =>
      host.describe(`snapshot at ${index} is ${digest}, another replica's is ${String(known)}`),
    );
    snapshots.set(index, digest);
  }

  /**
   * After a step: election safety, leader completeness for newly seen leaders, and monotonic
   * term/commit with applied ≤ committed on each live replica. Returns the newly seen leaders.
   */
  afterStep(hosts: readonly ReplicaHost[]): NewLeader[] {
    const newLeaders: NewLeader[] = [];
    for (const host of hosts) {
      const status = host.status();
      this.checkMonotonic(host, status);
      if (status.role !== "leader") continue;
      if (this.recordLeader(host, status.term)) {
        newLeaders.push({ groupId: host.groupId, term: status.term, nodeId: host.nodeId });
      }
      this.checkCompleteness(host, status.term);
    }
    return newLeaders;
  }

  private checkMonotonic(host: ReplicaHost, status: RaftStatus): void {
    const last = this.lastStatus.get(host);
    expectInvariant(status.appliedIndex <= status.commitIndex, () =>
      host.describe(`applied ${status.appliedIndex} past commit ${status.commitIndex}`),
    );
    if (last !== undefined) {
      expectInvariant(status.term >= last.term, () =>
        host.describe(`term went back from ${last.term} to ${status.term}`),
      );
      expectInvariant(status.commitIndex >= last.commitIndex, () =>
        host.describe(`commit index went back from ${last.commitIndex} to ${status.commitIndex}`),
      );
    }
    this.lastStatus.set(host, { term: status.term, commitIndex: status.commitIndex });
  }

  /** Election safety (Raft §5.2). Returns true the first time this term's leader is seen. */
  private recordLeader(host: ReplicaHost, term: number): boolean {
    const record = this.group(host.groupId);
    const known = record.leaders.get(term);
    expectInvariant(known === undefined || known === host.nodeId, () =>
      host.describe(`election safety: leads term ${term}, which ${String(known)} led`),
    );
    if (known !== undefined) return false;
    record.leaders.set(term, host.nodeId);
    this.coverage.elections++;
    if (term > record.lastLeaderTerm) {
      if (record.lastLeader !== undefined && record.lastLeader !== host.nodeId)
        this.coverage.leaderChanges++;
      record.lastLeader = host.nodeId;
      record.lastLeaderTerm = term;
    }
    return true;
  }

  /**
   * Leader completeness (Raft §5.4): a leader of `term` holds every entry committed in an
   * earlier term. Checked once per leader and term, against the log it leads with.
   */
  private checkCompleteness(host: ReplicaHost, term: number): void {
    const record = this.group(host.groupId);
    const key = `${host.nodeId}@${term}`;
    if (record.completenessChecked.has(key)) return;
    record.completenessChecked.add(key);
    const storage = host.storage;
    for (let index = storage.firstIndex(); index <= record.committedMax; index++) {
      const committed = record.committed.get(index);
      if (committed === undefined || committed.commitTerm >= term) continue;
      const held = storage.term(index);
      expectInvariant(held === committed.term, () =>
        host.describe(
          `leader completeness: leads term ${term} holding ${index}/${String(held)}, but ` +
            `${index}/${committed.term} was committed in term ${committed.commitTerm}`,
        ),
      );
    }
  }

  private group(groupId: string): GroupRecord {
    let record = this.groups.get(groupId);
    if (record === undefined) {
      record = {
        leaders: new Map(),
        lastLeader: undefined,
        lastLeaderTerm: 0,
        entries: new Map(),
        committed: new Map(),
        committedMax: 0,
        applied: new Map(),
        snapshots: new Map(),
        votes: new Map(),
        completenessChecked: new Set(),
      };
      this.groups.set(groupId, record);
    }
    return record;
  }
}
