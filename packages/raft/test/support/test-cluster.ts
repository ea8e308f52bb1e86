/**
 * A deterministic in-memory cluster for unit tests (etcd-io/raft's `network`): each replica has a
 * MemoryStorage; `stabilize()` runs every Ready through the contract (persist, send, apply,
 * advance) until no replica has anything left, delivering messages in FIFO order, minus drops.
 */
import {
  MemoryStorage,
  Raft,
  SeededRandom,
  membershipOf,
  nodeId,
  type Entry,
  type Message,
  type NodeId,
  type RaftConfig,
  type ReadState,
} from "../../src/index.js";

/** Options for a test replica, minus what the cluster provides. */
export type ReplicaOptions = Partial<Omit<RaftConfig, "id" | "storage" | "random">>;

/** One replica and what it has done. */
export interface TestReplica {
  readonly id: NodeId;
  raft: Raft;
  readonly storage: MemoryStorage;
  readonly applied: Entry[];
  readonly readStates: ReadState[];
}

/** A group of replicas wired by an in-memory, FIFO network with optional drops. */
export class TestCluster {
  readonly replicas = new Map<NodeId, TestReplica>();
  readonly queue: Message[] = [];
  /** Every message sent, in order, for assertions. */
  readonly sent: Message[] = [];
  /** Return true to drop a message. */
  drop: (message: Message) => boolean = () => false;
  private readonly isolated = new Set<NodeId>();
  private seed = 1;

  constructor(
    ids: readonly string[],
    options: ReplicaOptions = {},
    learners: readonly string[] = [],
  ) {
    const voters = ids.map(nodeId);
    const learnerIds = learners.map(nodeId);
    for (const id of [...voters, ...learnerIds]) {
      const storage = new MemoryStorage(membershipOf(voters, learnerIds));
      this.add(id, storage, options);
    }
  }

  /** Adds a replica over `storage` (e.g. a new member, or one restarted from its storage). */
  add(id: NodeId, storage: MemoryStorage, options: ReplicaOptions = {}): TestReplica {
    const raft = new Raft({ id, storage, random: new SeededRandom(this.seed++), ...options });
    const replica: TestReplica = { id, raft, storage, applied: [], readStates: [] };
    this.replicas.set(id, replica);
    return replica;
  }

  get(id: string): TestReplica {
    const replica = this.replicas.get(nodeId(id));
    if (replica === undefined) throw new Error(`no replica ${id}`);
    return replica;
  }

  raft(id: string): Raft {
    return this.get(id).raft;
  }

  /** Cuts `id` off: messages to and from it are dropped until `heal`. */
  isolate(id: string): void {
    this.isolated.add(nodeId(id));
  }

  heal(): void {
    this.isolated.clear();
    this.drop = () => false;
  }

  /** Runs one Ready per replica that has one; returns whether any had. */
  processReadies(): boolean {
    let any = false;
    for (const replica of this.replicas.values()) {
      if (!replica.raft.hasReady()) continue;
      any = true;
      const ready = replica.raft.ready();
      if (ready.snapshot !== undefined) replica.storage.applySnapshot(ready.snapshot);
      replica.storage.append(ready.entries);
      if (ready.hardState !== undefined) replica.storage.setHardState(ready.hardState);
      for (const message of ready.messages) this.enqueue(message);
      replica.applied.push(...ready.committedEntries);
      replica.readStates.push(...ready.readStates);
      replica.raft.advance(ready);
    }
    return any;
  }

  /** Delivers queued messages and processes readies until quiet (bounded). */
  stabilize(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      const worked = this.processReadies();
      const batch = this.queue.splice(0);
      for (const message of batch) this.replicas.get(message.to)?.raft.step(message);
      if (!worked && batch.length === 0) return;
    }
    throw new Error("cluster did not stabilize");
  }

  /** Ticks every replica `n` times, stabilizing after each tick. */
  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const replica of this.replicas.values()) replica.raft.tick();
      this.stabilize();
    }
  }

  /** Makes `id` campaign and runs the election to completion. */
  elect(id: string): void {
    this.raft(id).campaign();
    this.stabilize();
  }

  /** Data of the normal entries `id` has applied, decoded as UTF-8. */
  appliedData(id: string): string[] {
    const out: string[] = [];
    for (const entry of this.get(id).applied) {
      if (entry.type === "normal") out.push(new TextDecoder().decode(entry.data));
    }
    return out;
  }

  private enqueue(message: Message): void {
    this.sent.push(message);
    if (this.isolated.has(message.from) || this.isolated.has(message.to)) return;
    if (this.drop(message)) return;
    this.queue.push(message);
  }
}

/** UTF-8 bytes of `text`. */
export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
