/**
 * Example: a microservice following the committed streams of several groups. It keeps a read
 * model (account balances) built from the committed entries, records the last index it applied
 * per group, and after a restart resumes each group's `committed$` from that index + 1: no
 * gaps, no duplicates, like an etcd watch resumed from a revision.
 */
import { merge, type Subscription } from "rxjs";
import { map } from "rxjs/operators";
import { nodeId } from "@flotilla/raft";
import { MemoryNodeStorage } from "@flotilla/storage-lmdb";
import {
  FlotillaNode,
  InMemoryNetwork,
  jsonCodec,
  type Clock,
  type CommittedEvent,
  type Group,
  type LeaderInfo,
  type StateMachine,
} from "@flotilla/runtime";

/** A ledger command: move `amount` into (or, negative, out of) `account`. */
export interface Transfer {
  readonly account: string;
  readonly amount: number;
}

const codec = jsonCodec<Transfer>();

type Balances = Map<string, number>;

function encodeBalances(balances: Balances): Uint8Array {
  const sorted = [...balances].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return new TextEncoder().encode(JSON.stringify(sorted));
}

function decodeBalances(data: Uint8Array): Balances {
  return new Map(JSON.parse(new TextDecoder().decode(data)) as [string, number][]);
}

function applyTransfer(balances: Balances, transfer: Transfer): number {
  const balance = (balances.get(transfer.account) ?? 0) + transfer.amount;
  balances.set(transfer.account, balance);
  return balance;
}

/** The groups' state machine: balances per account; `apply` returns the new balance. */
export class LedgerStateMachine implements StateMachine<Transfer, number, string, number> {
  private balances: Balances = new Map();

  apply(transfer: Transfer): number {
    return applyTransfer(this.balances, transfer);
  }

  query(account: string): number {
    return this.balances.get(account) ?? 0;
  }

  snapshot(): Uint8Array {
    return encodeBalances(this.balances);
  }

  restore(snapshot: Uint8Array): void {
    this.balances = decodeBalances(snapshot);
  }
}

export type LedgerGroup = Group<Transfer, number, string, number>;

/** What the subscriber persists to resume: its read model and, per group, the last index. */
export interface SavedState {
  readonly lastIndex: Readonly<Record<string, number>>;
  readonly balances: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/**
 * Follows the `committed$` of every group given (typically one node's replicas), in index order
 * per group. Each event updates the group's part of the read model and its last index; an event
 * at or below the last index would be a duplicate and is counted (and skipped), never applied.
 */
export class ReadModelSubscriber {
  /** `${groupId}:${index}` of every event applied, in order: what tests compare. */
  readonly applied: string[] = [];
  duplicates = 0;
  private readonly lastIndex = new Map<string, number>();
  private readonly balances = new Map<string, Balances>();
  private subscription: Subscription | undefined;
  private failure: unknown;

  constructor(
    private readonly groups: readonly LedgerGroup[],
    saved?: SavedState,
  ) {
    for (const group of groups) {
      this.lastIndex.set(group.groupId, saved?.lastIndex[group.groupId] ?? 0);
      const balances = saved?.balances[group.groupId] ?? {};
      this.balances.set(group.groupId, new Map(Object.entries(balances)));
    }
  }

  /** Subscribes each group from its last index + 1. */
  start(): this {
    this.subscription = merge(
      ...this.groups.map((group) =>
        group
          .committed$({ fromIndex: (this.lastIndex.get(group.groupId) ?? 0) + 1 })
          .pipe(map((event) => ({ groupId: group.groupId, event }))),
      ),
    ).subscribe({
      next: ({ groupId, event }) => this.handle(groupId, event),
      // A SubscriberLagError would end here: resume from save() into a new subscriber.
      error: (error: unknown) => (this.failure = error),
    });
    return this;
  }

  /** The subscription's error, if it ended with one. */
  get error(): unknown {
    return this.failure;
  }

  private handle(groupId: string, event: CommittedEvent): void {
    if (event.index <= (this.lastIndex.get(groupId) ?? 0)) {
      this.duplicates++;
      return;
    }
    if (event.type === "snapshot") {
      // The log below `index` was compacted: the snapshot is the group's state at that index.
      this.balances.set(groupId, decodeBalances(event.data));
    } else {
      applyTransfer(this.balancesOf(groupId), codec.decode(event.data));
    }
    this.lastIndex.set(groupId, event.index);
    this.applied.push(`${groupId}:${event.index}`);
  }

  private balancesOf(groupId: string): Balances {
    let balances = this.balances.get(groupId);
    if (balances === undefined) {
      balances = new Map();
      this.balances.set(groupId, balances);
    }
    return balances;
  }

  /** The balance of `account` in `groupId` per the read model. */
  balance(groupId: string, account: string): number {
    return this.balances.get(groupId)?.get(account) ?? 0;
  }

  /** The read model and last indexes, as a restart would persist them. */
  save(): SavedState {
    const lastIndex: Record<string, number> = {};
    for (const [groupId, index] of this.lastIndex) lastIndex[groupId] = index;
    const balances: Record<string, Record<string, number>> = {};
    for (const [groupId, groupBalances] of this.balances) {
      balances[groupId] = Object.fromEntries(groupBalances);
    }
    return { lastIndex, balances };
  }

  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }
}

/** Options of {@link LedgerCluster.start}. */
export interface LedgerClusterOptions {
  readonly groupIds: readonly string[];
  readonly clock?: Clock;
  readonly nodeIds?: readonly string[];
  readonly tickIntervalMs?: number;
}

/** Nodes (n1..n3 by default) each hosting every ledger group. */
export class LedgerCluster {
  readonly network = new InMemoryNetwork();
  readonly nodes: { readonly id: string; readonly node: FlotillaNode; groups: LedgerGroup[] }[] =
    [];
  private readonly leaders = new Map<string, LeaderInfo>();

  static async start(options: LedgerClusterOptions): Promise<LedgerCluster> {
    const cluster = new LedgerCluster();
    const ids = options.nodeIds ?? ["n1", "n2", "n3"];
    for (const id of ids) {
      const node = await FlotillaNode.start({
        nodeId: id,
        storage: new MemoryNodeStorage(),
        transport: cluster.network.endpoint(nodeId(id)),
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        ...(options.tickIntervalMs === undefined ? {} : { tickIntervalMs: options.tickIntervalMs }),
      });
      const groups: LedgerGroup[] = [];
      for (const groupId of options.groupIds) {
        const group = await node.group(groupId, {
          members: ids,
          stateMachine: new LedgerStateMachine(),
          codec,
        });
        group.leader$.subscribe((info) => cluster.leaders.set(`${id}/${groupId}`, info));
        groups.push(group);
      }
      cluster.nodes.push({ id, node, groups });
    }
    return cluster;
  }

  /** The replica of `groupId` on the node that leads it, if one does. */
  leaderOf(groupId: string): LedgerGroup | undefined {
    const leader = this.nodes.find(
      (n) => this.leaders.get(`${n.id}/${groupId}`)?.leaderId === n.id,
    );
    return leader?.groups.find((group) => group.groupId === groupId);
  }

  async stop(): Promise<void> {
    for (const n of this.nodes) await n.node.stop();
  }
}
