/**
 * Test helpers: a cluster of nodes over the in-memory network and memory storage, driven by one
 * ManualClock, and `waitFor` / `driveUntil` instead of sleeps. Nothing here measures time.
 */
import { nodeId, type NodeId } from "@flotilla/raft";
import { MemoryNodeStorage, type GroupWrite, type NodeStorage } from "@flotilla/storage-lmdb";
import {
  FlotillaNode,
  InMemoryNetwork,
  ManualClock,
  jsonCodec,
  type FlotillaNodeOptions,
  type Group,
  type RaftBatch,
  type StateMachine,
  type Transport,
} from "../src/index.js";

/** A command of the test key-value state machine. */
export interface KvCommand {
  readonly key: string;
  readonly value: string;
}

/** A deterministic key-value map; `apply` returns the previous value and the entry index. */
export class KvStateMachine implements StateMachine<
  KvCommand,
  { previous: string | undefined; index: number },
  string,
  string | undefined
> {
  readonly values = new Map<string, string>();
  readonly appliedIndexes: number[] = [];

  apply(
    command: KvCommand,
    entry: { index: number },
  ): { previous: string | undefined; index: number } {
    if (command.key === "throw") throw new Error("refused by the state machine");
    const previous = this.values.get(command.key);
    this.values.set(command.key, command.value);
    this.appliedIndexes.push(entry.index);
    return { previous, index: entry.index };
  }

  query(key: string): string | undefined {
    return this.values.get(key);
  }

  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify([...this.values]));
  }

  restore(snapshot: Uint8Array): void {
    this.values.clear();
    for (const [key, value] of JSON.parse(new TextDecoder().decode(snapshot)) as [
      string,
      string,
    ][]) {
      this.values.set(key, value);
    }
  }

  digest(): string {
    return JSON.stringify([...this.values].sort());
  }
}

export type KvGroup = Group<
  KvCommand,
  { previous: string | undefined; index: number },
  string,
  string | undefined
>;

/** Yields to the event loop `turns` times (rounds and deliveries run on macrotasks). */
export async function settle(turns = 8): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Polls `predicate` on the event loop until it holds; fails with `description` after
 * `timeoutMs` of real time (a safety net only: no test asserts on elapsed time).
 */
export async function waitFor(
  predicate: () => boolean,
  options: { timeoutMs?: number; description: string },
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${options.description}`);
    await settle(1);
  }
}

/** Spy on a storage: records each `write` batch. */
export function spyStorage(storage: NodeStorage, writes: (readonly GroupWrite[])[]): NodeStorage {
  const write = storage.write.bind(storage);
  storage.write = (batch) => {
    writes.push(batch);
    return write(batch);
  };
  return storage;
}

/** One node of a test cluster with what the tests look at. */
export interface TestNode {
  readonly id: NodeId;
  node: FlotillaNode;
  readonly storage: NodeStorage;
  readonly writes: (readonly GroupWrite[])[];
  /** Sends as `[round, to, messages in the batch]`. */
  readonly sends: [number, NodeId, number][];
  readonly groups: Map<string, { group: KvGroup; stateMachine: KvStateMachine }>;
}

export const TICK_MS = 10;

/** Nodes `n1..nN` hosting the same groups over one network and one manual clock. */
export class TestCluster {
  readonly clock = new ManualClock();
  readonly network = new InMemoryNetwork();
  readonly nodes: TestNode[] = [];

  static async start(
    nodeCount: number,
    groupIds: readonly string[],
    options: Partial<FlotillaNodeOptions> = {},
    perNode: (index: number) => Partial<FlotillaNodeOptions> = () => ({}),
    storageOf: (id: NodeId) => Promise<NodeStorage> = () =>
      Promise.resolve(new MemoryNodeStorage()),
  ): Promise<TestCluster> {
    const cluster = new TestCluster();
    cluster.options = options;
    cluster.perNode = perNode;
    cluster.ids = Array.from({ length: nodeCount }, (_, i) => nodeId(`n${i + 1}`));
    cluster.groupIds = groupIds;
    for (const [index, id] of cluster.ids.entries()) {
      cluster.nodes.push(await cluster.startNode(index, id, await storageOf(id)));
    }
    return cluster;
  }

  private options: Partial<FlotillaNodeOptions> = {};
  private perNode: (index: number) => Partial<FlotillaNodeOptions> = () => ({});
  private ids: NodeId[] = [];
  private groupIds: readonly string[] = [];

  /** Stops node `index` (if running) and starts it again over `storage`, with fresh state machines. */
  async restart(index: number, storage: NodeStorage): Promise<TestNode> {
    const previous = this.nodes[index]!;
    await previous.node.stop();
    const restarted = await this.startNode(index, previous.id, storage);
    this.nodes[index] = restarted;
    return restarted;
  }

  private async startNode(index: number, id: NodeId, storage: NodeStorage): Promise<TestNode> {
    const writes: (readonly GroupWrite[])[] = [];
    const sends: [number, NodeId, number][] = [];
    const endpoint = this.network.endpoint(id);
    const started: { node?: FlotillaNode } = {};
    const transport: Transport = {
      send: (to: NodeId, batch: RaftBatch) => {
        sends.push([started.node?.stats().rounds ?? 0, to, batch.messages.length]);
        endpoint.send(to, batch);
      },
      onBatch: (handler) => endpoint.onBatch(handler),
    };
    const node = await FlotillaNode.start({
      nodeId: id,
      storage: spyStorage(storage, writes),
      transport,
      clock: this.clock,
      tickIntervalMs: TICK_MS,
      electionTicks: 10,
      ...this.options,
      ...this.perNode(index),
    });
    started.node = node;
    const groups = new Map<string, { group: KvGroup; stateMachine: KvStateMachine }>();
    for (const groupId of this.groupIds) {
      const stateMachine = new KvStateMachine();
      const group = await node.group(groupId, {
        members: this.ids,
        stateMachine,
        codec: jsonCodec<KvCommand>(),
      });
      groups.set(groupId, { group, stateMachine });
    }
    return { id, node, storage, writes, sends, groups };
  }

  /** Advances the clock one tick at a time, letting rounds run, until `predicate` holds. */
  async driveUntil(predicate: () => boolean, description: string, ticksMax = 2_000): Promise<void> {
    for (let tick = 0; tick < ticksMax; tick++) {
      if (predicate()) return;
      this.clock.advance(TICK_MS);
      await this.quiesce();
    }
    if (!predicate()) throw new Error(`not reached in ${ticksMax} ticks: ${description}`);
  }

  /** Advances the clock `ticks` ticks, letting rounds run after each. */
  async runTicks(ticks: number): Promise<void> {
    for (let tick = 0; tick < ticks; tick++) {
      this.clock.advance(TICK_MS);
      await this.quiesce();
    }
  }

  /** Waits until every running node is idle and nothing is on the wire (real I/O included). */
  async quiesce(): Promise<void> {
    const quiet = () => this.network.inFlight === 0 && this.nodes.every((n) => n.node.isIdle());
    await waitFor(quiet, { description: "the cluster falls quiet" });
  }

  /** The node whose replica of `groupId` leads, as every live node agrees, if any. */
  leaderOf(groupId: string, among: readonly TestNode[] = this.nodes): TestNode | undefined {
    let leaderId: string | undefined;
    for (const n of among) {
      const info = latest(n, groupId);
      if (info === undefined) return undefined;
      if (leaderId === undefined) leaderId = info;
      else if (leaderId !== info) return undefined;
    }
    const leader = among.find((n) => n.id === leaderId);
    return leader !== undefined && this.isLeader(leader, groupId) ? leader : undefined;
  }

  isLeader(n: TestNode, groupId: string): boolean {
    let leaderId: string | undefined;
    n.groups
      .get(groupId)!
      .group.leader$.subscribe((info) => (leaderId = info.leaderId))
      .unsubscribe();
    return leaderId === n.id;
  }

  /** Drives until every group has a leader all nodes agree on. */
  async electAll(groupIds: readonly string[]): Promise<void> {
    await this.driveUntil(
      () => groupIds.every((groupId) => this.leaderOf(groupId) !== undefined),
      "every group has a leader",
    );
  }

  async stop(): Promise<void> {
    for (const n of this.nodes) await n.node.stop();
  }
}

function latest(n: TestNode, groupId: string): string | undefined {
  let leaderId: string | undefined;
  n.groups
    .get(groupId)!
    .group.leader$.subscribe((info) => (leaderId = info.leaderId))
    .unsubscribe();
  return leaderId;
}

/** Settles `promise` into a record, for asserting on outcomes without unhandled rejections. */
export function outcomeOf<T>(promise: Promise<T>): {
  settled: boolean;
  value?: T;
  error?: unknown;
} {
  const record: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => {
      record.settled = true;
      record.value = value;
    },
    (error: unknown) => {
      record.settled = true;
      record.error = error;
    },
  );
  return record;
}
