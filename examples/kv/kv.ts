/**
 * Example: a replicated key-value store sharded over 16 Raft groups hosted by 3 nodes in one
 * process (in-memory network, memory storage). Each group is a deterministic state machine
 * (put / get / cas / delete); a router picks the group by a hash of the key; `get` is
 * linearizable (ReadIndex through `group.read`); `watch` follows every group's `committed$` and
 * keeps the changes under a key prefix.
 */
import { merge, type Observable } from "rxjs";
import { filter, map } from "rxjs/operators";
import { nodeId } from "@flotilla/raft";
import { MemoryNodeStorage } from "@flotilla/storage-lmdb";
import {
  FlotillaNode,
  InMemoryNetwork,
  NotLeaderError,
  jsonCodec,
  type Clock,
  type CommittedEvent,
  type Group,
  type LeaderInfo,
  type StateMachine,
} from "@flotilla/runtime";

/** The number of groups (shards) the keyspace is split over. */
export const SHARD_COUNT = 16;

/** A command of the key-value state machine. `expected: null` means "the key is absent". */
export type KvCommand =
  | { readonly op: "put"; readonly key: string; readonly value: string }
  | {
      readonly op: "cas";
      readonly key: string;
      readonly expected: string | null;
      readonly value: string;
    }
  | { readonly op: "delete"; readonly key: string };

/** What `apply` returns: whether the command took effect and the value it replaced. */
export interface KvResult {
  readonly ok: boolean;
  readonly previous: string | null;
}

/** A linearizable read of one key. */
export interface KvQuery {
  readonly key: string;
}

/** One key's state: a plain, deterministic map (no clock, no randomness, no I/O). */
export class KvStateMachine implements StateMachine<KvCommand, KvResult, KvQuery, string | null> {
  private readonly values = new Map<string, string>();

  apply(command: KvCommand): KvResult {
    const previous = this.values.get(command.key) ?? null;
    switch (command.op) {
      case "put":
        this.values.set(command.key, command.value);
        return { ok: true, previous };
      case "cas":
        if (previous !== command.expected) return { ok: false, previous };
        this.values.set(command.key, command.value);
        return { ok: true, previous };
      case "delete":
        this.values.delete(command.key);
        return { ok: previous !== null, previous };
    }
  }

  query(query: KvQuery): string | null {
    return this.values.get(query.key) ?? null;
  }

  /** The whole state, sorted by key so equal states give equal bytes. */
  snapshot(): Uint8Array {
    const sorted = [...this.values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return new TextEncoder().encode(JSON.stringify(sorted));
  }

  restore(snapshot: Uint8Array): void {
    this.values.clear();
    const pairs = JSON.parse(new TextDecoder().decode(snapshot)) as [string, string][];
    for (const [key, value] of pairs) this.values.set(key, value);
  }
}

export type KvGroup = Group<KvCommand, KvResult, KvQuery, string | null>;

/**
 * The router's hash: 32-bit FNV-1a over the key's UTF-8 bytes (offset basis 0x811c9dc5, prime
 * 0x01000193), then `hash % SHARD_COUNT`. Stable across processes and languages, so any client
 * routes a key to the same shard.
 */
export function shardOf(key: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(key)) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return hash % SHARD_COUNT;
}

/** The group id of shard `shard`: `kv-0` … `kv-15`. */
export function groupIdOf(shard: number): string {
  return `kv-${shard}`;
}

/** A change seen by {@link KvStore.watch}. */
export interface KvChange {
  readonly groupId: string;
  readonly index: number;
  readonly command: KvCommand;
}

/** One node of the store and its handle on each shard's group (indexed by shard). */
export interface KvNode {
  readonly id: string;
  readonly node: FlotillaNode;
  readonly shards: readonly KvGroup[];
}

/** Options of {@link KvStore.start}. */
export interface KvStoreOptions {
  /** The nodes' ids (default n1, n2, n3). */
  readonly nodeIds?: readonly string[];
  /** The clock every node runs on (tests pass a ManualClock). */
  readonly clock?: Clock;
  readonly tickIntervalMs?: number;
}

const codec = jsonCodec<KvCommand>();

/** The store: every node hosts every shard; commands go to the shard leader's replica. */
export class KvStore {
  readonly network = new InMemoryNetwork();
  readonly nodes: KvNode[] = [];
  /** The latest leader info each node's replica of each shard reports: `${node}/${shard}`. */
  private readonly leaders = new Map<string, LeaderInfo>();

  static async start(options: KvStoreOptions = {}): Promise<KvStore> {
    const store = new KvStore();
    const ids = options.nodeIds ?? ["n1", "n2", "n3"];
    for (const id of ids) {
      const node = await FlotillaNode.start({
        nodeId: id,
        storage: new MemoryNodeStorage(),
        transport: store.network.endpoint(nodeId(id)),
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        ...(options.tickIntervalMs === undefined ? {} : { tickIntervalMs: options.tickIntervalMs }),
      });
      const shards: KvGroup[] = [];
      for (let shard = 0; shard < SHARD_COUNT; shard++) {
        const group = await node.group(groupIdOf(shard), {
          members: ids,
          stateMachine: new KvStateMachine(),
          codec,
        });
        group.leader$.subscribe((info) => store.leaders.set(`${id}/${shard}`, info));
        shards.push(group);
      }
      store.nodes.push({ id, node, shards });
    }
    return store;
  }

  /** The group handle of `shard` on the node that leads it (as that node sees itself). */
  leaderOf(shard: number): KvGroup | undefined {
    const leader = this.nodes.find((n) => this.leaders.get(`${n.id}/${shard}`)?.leaderId === n.id);
    return leader?.shards[shard];
  }

  /** Proposes `command` on its shard's leader; the state machine's result once applied. */
  private async propose(command: KvCommand): Promise<KvResult> {
    const shard = shardOf(command.key);
    const group = this.leaderOf(shard);
    if (group === undefined) throw new NotLeaderError(groupIdOf(shard), undefined);
    return group.propose(command);
  }

  put(key: string, value: string): Promise<KvResult> {
    return this.propose({ op: "put", key, value });
  }

  cas(key: string, expected: string | null, value: string): Promise<KvResult> {
    return this.propose({ op: "cas", key, expected, value });
  }

  delete(key: string): Promise<KvResult> {
    return this.propose({ op: "delete", key });
  }

  /** A linearizable read (ReadIndex), served by `via`'s replica, follower or leader. */
  get(key: string, via = 0): Promise<string | null> {
    const group = this.nodes[via]?.shards[shardOf(key)];
    if (group === undefined) throw new RangeError(`no node at ${via}`);
    return group.read({ key });
  }

  /**
   * Every committed change to a key starting with `prefix`, from each shard's `fromIndex`
   * (default 1: the whole history), merged across the 16 groups of node `via`. Within a shard
   * changes arrive in index order; across shards there is no global order.
   */
  watch(prefix: string, via = 0): Observable<KvChange> {
    const kvNode = this.nodes[via];
    if (kvNode === undefined) throw new RangeError(`no node at ${via}`);
    return merge(
      ...kvNode.shards.map((group) =>
        group.committed$({ fromIndex: 1 }).pipe(
          filter(
            (event): event is Extract<CommittedEvent, { type: "entry" }> => event.type === "entry",
          ),
          map((event) => ({
            groupId: group.groupId,
            index: event.index,
            command: codec.decode(event.data),
          })),
        ),
      ),
    ).pipe(filter((change) => change.command.key.startsWith(prefix)));
  }

  async stop(): Promise<void> {
    for (const n of this.nodes) await n.node.stop();
  }
}
