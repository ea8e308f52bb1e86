/**
 * Helpers for the paper tests (test/paper): a replica over a MemoryStorage pre-filled with a log
 * of given terms, driven one message or tick at a time, whose host loop checks the Ready contract
 * on every Ready (persist before you promise, commit never goes back, committed entries are
 * persisted and contiguous); and a small FIFO network of such replicas that also checks State
 * Machine Safety (no two replicas apply different entries at one index) as entries are applied.
 */
import {
  MemoryStorage,
  Raft,
  SeededRandom,
  membershipOf,
  nodeId,
  type AppendEntries,
  type AppendEntriesResult,
  type Entry,
  type HardState,
  type Heartbeat,
  type Message,
  type NodeId,
  type RaftConfig,
  type RaftStatus,
  type RandomSource,
  type Ready,
  type RequestVote,
  type RequestVoteResult,
} from "../../src/index.js";

/**
 * Config for a paper replica. `preVote` and `checkQuorum` are required: the core defaults both to
 * true, and each paper test states which Raft it is testing.
 */
export type PaperConfig = Partial<
  Omit<RaftConfig, "id" | "storage" | "random" | "preVote" | "checkQuorum">
> & {
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
};

/** The state a replica starts from (as if restarted from a storage holding it). */
export interface ReplicaSetup {
  readonly config: PaperConfig;
  /** The group's voters; defaults to a, b, c. */
  readonly voters?: readonly string[] | undefined;
  /** Terms of the persisted entries 1..n: `[1, 1, 2]` is three entries. */
  readonly log?: readonly number[] | undefined;
  /** Persisted current term; defaults to the last log term (0 for an empty log). */
  readonly term?: number | undefined;
  readonly vote?: string | undefined;
  readonly commitIndex?: number | undefined;
  /** Defaults to a SeededRandom with a seed derived from the id. */
  readonly random?: RandomSource | undefined;
}

/** A random source whose every draw is 0: the election timeout is exactly `electionTicks`. */
export const FIXED_RANDOM: RandomSource = { nextInt: () => 0 };

/** UTF-8 bytes of `text`. */
export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** A normal entry whose data names its index and term, so equal (index, term) means equal entry. */
export function entry(index: number, term: number): Entry {
  return { type: "normal", index, term, data: bytes(`${index}@${term}`) };
}

/** Entries `fromIndex, fromIndex+1, …` with the given terms. */
export function entries(fromIndex: number, terms: readonly number[]): Entry[] {
  return terms.map((term, i) => entry(fromIndex + i, term));
}

/** A MemoryStorage holding `setup`'s log and hard state. */
export function storageWith(setup: Omit<ReplicaSetup, "config" | "random">): MemoryStorage {
  const voters = (setup.voters ?? ["a", "b", "c"]).map(nodeId);
  const storage = new MemoryStorage(membershipOf(voters));
  const log = setup.log ?? [];
  storage.append(entries(1, log));
  const hardState: HardState = {
    term: setup.term ?? log[log.length - 1] ?? 0,
    vote: setup.vote === undefined ? undefined : nodeId(setup.vote),
    commitIndex: setup.commitIndex ?? 0,
  };
  storage.setHardState(hardState);
  return storage;
}

function seedOf(id: string): number {
  let seed = 17;
  for (const char of id) seed = (seed * 31 + char.charCodeAt(0)) >>> 0;
  return seed;
}

/**
 * One replica and its host: `takeReady` persists a Ready and checks the contract, `advance`
 * acknowledges it, `flush` does both until nothing is left and returns the messages to send.
 */
export class PaperReplica {
  readonly id: NodeId;
  readonly storage: MemoryStorage;
  raft: Raft;
  /** Every Ready handed out, in order. */
  readonly readies: Ready[] = [];
  /** Entries applied since the last (re)start, in order. */
  applied: Entry[] = [];
  /** Called with every entry this replica applies (the network's safety check). */
  onApply: ((replica: PaperReplica, entry: Entry) => void) | undefined = undefined;
  private readonly setup: ReplicaSetup;
  private lastAppliedIndex: number;
  private restarts = 0;

  constructor(id: string, setup: ReplicaSetup, storage?: MemoryStorage) {
    this.id = nodeId(id);
    this.setup = setup;
    this.storage = storage ?? storageWith(setup);
    this.raft = this.newRaft(setup.random ?? new SeededRandom(seedOf(id)));
    this.lastAppliedIndex = this.storage.firstIndex() - 1;
  }

  /** Feeds messages, in order. */
  step(...messages: Message[]): void {
    for (const message of messages) this.raft.step(message);
  }

  tick(n = 1): void {
    for (let i = 0; i < n; i++) this.raft.tick();
  }

  /**
   * Takes the next Ready, persists it (snapshot, entries, hard state), checks the contract, and
   * applies its committed entries; does not advance. Undefined when there is nothing to do.
   */
  takeReady(): Ready | undefined {
    if (!this.raft.hasReady()) return undefined;
    const ready = this.raft.ready();
    const before = this.hardState();
    if (ready.snapshot !== undefined) this.storage.applySnapshot(ready.snapshot);
    this.storage.append(ready.entries);
    if (ready.hardState !== undefined) this.storage.setHardState(ready.hardState);
    this.checkReady(ready, before);
    for (const applied of ready.committedEntries) {
      this.applied.push(applied);
      this.lastAppliedIndex = applied.index;
      this.onApply?.(this, applied);
    }
    this.readies.push(ready);
    return ready;
  }

  advance(ready: Ready): void {
    this.raft.advance(ready);
  }

  /** Runs Readies through the host loop until none is left; returns their messages in order. */
  flush(): Message[] {
    const messages: Message[] = [];
    for (let i = 0; i < 1000; i++) {
      const ready = this.takeReady();
      if (ready === undefined) return messages;
      messages.push(...ready.messages);
      this.advance(ready);
    }
    throw new Error(`${this.id}: Readies never ran out`);
  }

  /** Crash and restart: a new Raft over the same storage, with nothing unpersisted. */
  restart(): void {
    this.restarts++;
    this.raft = this.newRaft(new SeededRandom(seedOf(this.id) + this.restarts));
    this.applied = [];
    this.lastAppliedIndex = this.storage.firstIndex() - 1;
  }

  status(): RaftStatus {
    return this.raft.status();
  }

  /** The persisted hard state. */
  hardState(): HardState {
    return this.storage.initialState().hardState;
  }

  /** Terms of the persisted log, index 1 first (from the first index after a snapshot). */
  logTerms(): number[] {
    const terms: number[] = [];
    for (let i = this.storage.firstIndex(); i <= this.storage.lastIndex(); i++)
      terms.push(this.storage.term(i) ?? -1);
    return terms;
  }

  /** The persisted entry at `index`. */
  entryAt(index: number): Entry | undefined {
    if (index < this.storage.firstIndex() || index > this.storage.lastIndex()) return undefined;
    return this.storage.entries(index, index + 1, Number.POSITIVE_INFINITY)[0];
  }

  private newRaft(random: RandomSource): Raft {
    return new Raft({ ...this.setup.config, id: this.id, storage: this.storage, random });
  }

  /** Throws when a Ready breaks the contract in ready.ts (checked after persisting it). */
  private checkReady(ready: Ready, before: HardState): void {
    const problems: string[] = [];
    const after = this.hardState();
    if (after.term < before.term) problems.push(`term went back ${before.term} -> ${after.term}`);
    if (after.commitIndex < before.commitIndex) {
      problems.push(`commit index went back ${before.commitIndex} -> ${after.commitIndex}`);
    }
    const needsSync =
      ready.entries.length > 0 ||
      ready.snapshot !== undefined ||
      after.term !== before.term ||
      after.vote !== before.vote;
    if (needsSync && !ready.mustSync)
      problems.push("entries, snapshot, term or vote changed but mustSync is false");
    let expected = Math.max(this.lastAppliedIndex, ready.snapshot?.metadata.index ?? 0) + 1;
    for (const committed of ready.committedEntries) {
      if (committed.index !== expected)
        problems.push(`committed entry ${committed.index} out of order (want ${expected})`);
      expected = committed.index + 1;
      if (committed.index > after.commitIndex) {
        problems.push(
          `committed entry ${committed.index} is above the commit index ${after.commitIndex}`,
        );
      }
      if (this.storage.term(committed.index) !== committed.term) {
        problems.push(`committed entry ${committed.index}@${committed.term} is not persisted`);
      }
    }
    for (const m of ready.messages) {
      if (m.from !== this.id) problems.push(`message from ${m.from}`);
      const preVote = (m.type === "RequestVote" || m.type === "RequestVoteResult") && m.preVote;
      if (!preVote && m.term > after.term)
        problems.push(`${m.type} at term ${m.term} before term ${m.term} is persisted`);
      // A vote is durable once its term and vote are persisted, or a later term is (which
      // forbids voting again in that term just as well).
      const voteDurable = (term: number, vote: NodeId): boolean =>
        after.term > term || (after.term === term && after.vote === vote);
      if (m.type === "RequestVote" && !m.preVote && !voteDurable(m.term, this.id)) {
        problems.push(
          `RequestVote at term ${m.term} before the self-vote is persisted (${JSON.stringify(after)})`,
        );
      }
      if (m.type === "RequestVoteResult" && m.granted && !m.preVote && !voteDurable(m.term, m.to)) {
        problems.push(
          `vote for ${m.to} at term ${m.term} sent before it is persisted (${JSON.stringify(after)})`,
        );
      }
      if (m.type === "AppendEntriesResult" && m.success && this.storage.lastIndex() < m.index) {
        problems.push(
          `acknowledged index ${m.index} before persisting it (last ${this.storage.lastIndex()})`,
        );
      }
    }
    if (problems.length > 0)
      throw new Error(`${this.id}: Ready contract broken: ${problems.join("; ")}`);
  }
}

/**
 * Replicas wired by an in-memory FIFO network. Messages to or from a disconnected replica, and
 * those `drop` selects, are lost (and still recorded in `sent`).
 */
export class PaperNetwork {
  readonly replicas = new Map<NodeId, PaperReplica>();
  /** Every message handed out by a Ready, delivered or not, in order. */
  readonly sent: Message[] = [];
  /** Return true to lose a message (evaluated when it is sent). */
  drop: (message: Message) => boolean = () => false;
  private queue: Message[] = [];
  private readonly disconnected = new Set<NodeId>();
  /** The first entry applied at each index by any replica: every other must apply the same. */
  private readonly appliedAt = new Map<number, Entry>();

  constructor(replicas: readonly PaperReplica[]) {
    for (const replica of replicas) {
      this.replicas.set(replica.id, replica);
      replica.onApply = (r, applied) => this.checkApplied(r, applied);
    }
  }

  get(id: string): PaperReplica {
    const replica = this.replicas.get(nodeId(id));
    if (replica === undefined) throw new Error(`no replica ${id}`);
    return replica;
  }

  /** Cuts `id` off (a crash, or a partition of one) until {@link reconnect}. */
  disconnect(...ids: string[]): void {
    for (const id of ids) this.disconnected.add(nodeId(id));
  }

  reconnect(...ids: string[]): void {
    for (const id of ids) this.disconnected.delete(nodeId(id));
  }

  isConnected(id: NodeId): boolean {
    return !this.disconnected.has(id);
  }

  /** Queues messages for delivery (minus the lost ones). */
  send(messages: readonly Message[]): void {
    for (const message of messages) {
      this.sent.push(message);
      if (this.disconnected.has(message.from) || this.disconnected.has(message.to)) continue;
      if (this.drop(message)) continue;
      this.queue.push(message);
    }
  }

  /** Flushes every replica and delivers messages until quiet. */
  stabilize(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      let worked = false;
      for (const replica of this.replicas.values()) {
        const readies = replica.readies.length;
        this.send(replica.flush());
        worked ||= replica.readies.length > readies;
      }
      const batch = this.queue;
      this.queue = [];
      for (const message of batch) this.replicas.get(message.to)?.step(message);
      if (!worked && batch.length === 0) return;
    }
    throw new Error("network did not stabilize");
  }

  /** Ticks every connected replica once and stabilizes, `n` times. */
  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const replica of this.replicas.values()) replica.tick();
      this.stabilize();
    }
  }

  /** Makes `id` campaign and runs the election to completion. */
  campaign(id: string): void {
    this.get(id).raft.campaign();
    this.stabilize();
  }

  /** Replicas that are currently leaders (at any term). */
  leaders(): PaperReplica[] {
    return [...this.replicas.values()].filter((r) => r.status().role === "leader");
  }

  private checkApplied(replica: PaperReplica, applied: Entry): void {
    const first = this.appliedAt.get(applied.index);
    if (first === undefined) {
      this.appliedAt.set(applied.index, applied);
      return;
    }
    if (!sameEntry(first, applied)) {
      throw new Error(
        `State Machine Safety broken: ${replica.id} applied ${describe(applied)} where another applied ${describe(first)}`,
      );
    }
  }
}

function sameEntry(a: Entry, b: Entry): boolean {
  if (a.index !== b.index || a.term !== b.term || a.type !== b.type) return false;
  if (a.type === "normal" && b.type === "normal") {
    return a.data.length === b.data.length && a.data.every((byte, i) => byte === b.data[i]);
  }
  return true;
}

function describe(e: Entry): string {
  return `${e.type} ${e.index}@${e.term}`;
}

/** An AppendEntries from `from` to `to`. */
export function appendEntries(
  from: string,
  to: string,
  term: number,
  fields: {
    prevLogIndex: number;
    prevLogTerm: number;
    entries?: readonly Entry[];
    leaderCommit?: number;
  },
): AppendEntries {
  return {
    type: "AppendEntries",
    from: nodeId(from),
    to: nodeId(to),
    term,
    prevLogIndex: fields.prevLogIndex,
    prevLogTerm: fields.prevLogTerm,
    entries: fields.entries ?? [],
    leaderCommit: fields.leaderCommit ?? 0,
  };
}

/** A successful or failed answer to an AppendEntries. */
export function appendEntriesResult(
  from: string,
  to: string,
  term: number,
  fields: { success: boolean; index: number; hintIndex?: number; hintTerm?: number },
): AppendEntriesResult {
  return {
    type: "AppendEntriesResult",
    from: nodeId(from),
    to: nodeId(to),
    term,
    success: fields.success,
    index: fields.index,
    hintIndex: fields.hintIndex ?? 0,
    hintTerm: fields.hintTerm ?? 0,
  };
}

/** A (pre-)vote request. */
export function requestVote(
  from: string,
  to: string,
  term: number,
  fields: { lastLogIndex: number; lastLogTerm: number; preVote?: boolean },
): RequestVote {
  return {
    type: "RequestVote",
    from: nodeId(from),
    to: nodeId(to),
    term,
    lastLogIndex: fields.lastLogIndex,
    lastLogTerm: fields.lastLogTerm,
    preVote: fields.preVote ?? false,
    leadershipTransfer: false,
  };
}

/** An answer to a (pre-)vote request. */
export function requestVoteResult(
  from: string,
  to: string,
  term: number,
  granted: boolean,
  preVote = false,
): RequestVoteResult {
  return {
    type: "RequestVoteResult",
    from: nodeId(from),
    to: nodeId(to),
    term,
    granted,
    preVote,
    commitIndex: 0,
    commitTerm: 0,
  };
}

/** A heartbeat. */
export function heartbeat(from: string, to: string, term: number, commitIndex = 0): Heartbeat {
  return {
    type: "Heartbeat",
    from: nodeId(from),
    to: nodeId(to),
    term,
    commitIndex,
    context: undefined,
  };
}

/** The successful answer a follower holding everything would give to `m`. */
export function acceptAppend(m: AppendEntries): AppendEntriesResult {
  return appendEntriesResult(m.to, m.from, m.term, {
    success: true,
    index: m.prevLogIndex + m.entries.length,
  });
}

/** The messages of type `type`, narrowed. */
export function ofType<T extends Message["type"]>(
  messages: readonly Message[],
  type: T,
): Extract<Message, { type: T }>[] {
  return messages.filter((m): m is Extract<Message, { type: T }> => m.type === type);
}

/**
 * Makes `replica` leader: it campaigns and every other voter grants (the PreVote round too, if
 * configured). Returns the messages the new leader sends (its no-op appends).
 */
export function electLeader(replica: PaperReplica): Message[] {
  replica.raft.campaign();
  let messages = replica.flush();
  for (let round = 0; round < 2 && replica.status().role !== "leader"; round++) {
    for (const request of ofType(messages, "RequestVote")) {
      replica.step(
        requestVoteResult(request.to, request.from, request.term, true, request.preVote),
      );
    }
    messages = replica.flush();
  }
  if (replica.status().role !== "leader") throw new Error(`${replica.id} did not become leader`);
  return messages;
}
