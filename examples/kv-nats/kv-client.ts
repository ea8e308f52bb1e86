/**
 * Example: a sharded, replicated key-value store used from a separate client process. The
 * keyspace is split over 64 Raft groups `kv-0` … `kv-63` of the built-in `kv` kind, hosted by
 * `flotilla node` processes; this client reaches them over NATS with `@flotilla/client` alone —
 * commands and queries route by key (FNV-1a, `client.shards`), reads are linearizable, and a
 * prefix watch follows the committed streams of all 64 groups.
 */
import { merge, type Observable } from "rxjs";
import { filter, map } from "rxjs/operators";
import { decodeWire, shardFor, type FlotillaClient, type ShardedSet } from "@flotilla/client";

/** The sharded set's name: its groups are `kv-0` … `kv-63`. */
export const SHARD_NAME = "kv";
/** The number of groups the keyspace is split over. */
export const SHARD_COUNT = 64;

/** A command of the built-in `kv` kind, as it travels (msgpack) and sits in the log. */
export type KvCommand =
  | { readonly op: "put"; readonly key: string; readonly value: unknown }
  | {
      readonly op: "cas";
      readonly key: string;
      readonly expected: unknown;
      readonly value: unknown;
    }
  | { readonly op: "delete"; readonly key: string };

/** A query of the built-in `kv` kind. */
export type KvQuery =
  | { readonly op: "get"; readonly key: string }
  | { readonly op: "scan"; readonly prefix: string; readonly limit: number };

/** What a watch emits, per group in index order. */
export type KvWatchEvent =
  /** The group's keys under the prefix at `index`: its log below was compacted. */
  | {
      readonly type: "snapshot";
      readonly groupId: string;
      readonly index: number;
      readonly pairs: readonly (readonly [string, unknown])[];
    }
  /** A command on a key under the prefix, committed at `index` (a `cas` may not have swapped). */
  | {
      readonly type: "command";
      readonly groupId: string;
      readonly index: number;
      readonly command: KvCommand;
    };

type Shards = ShardedSet<KvCommand, unknown, KvQuery, unknown>;

/**
 * The store, as a client sees it.
 *
 * @example
 * const client = await FlotillaClient.connect({ cluster: "kv", nats: { servers: "127.0.0.1:4222" } });
 * const kv = new KvClient(client);
 * await kv.put("user/1", "Ada");               // → the previous value, or null
 * await kv.get("user/1");                      // → "Ada" (linearizable)
 * await kv.cas("user/1", "Ada", "Grace");      // → true
 * kv.watch("user/").subscribe((event) => console.log(event));
 */
export class KvClient {
  private readonly shards: Shards;

  constructor(private readonly client: FlotillaClient) {
    this.shards = client.shards<KvCommand, unknown, KvQuery, unknown>(SHARD_NAME, SHARD_COUNT);
  }

  /** The group that owns `key`: `kv-<fnv1a32(utf8(key)) % 64>`. */
  groupFor(key: string): string {
    return this.shards.groupFor(key);
  }

  /** Sets `key`; resolves with the value it replaced, or null. */
  async put(key: string, value: unknown): Promise<unknown> {
    return this.shards.propose(key, { op: "put", key, value });
  }

  /** Sets `key` to `value` if it holds `expected` (null: absent); resolves with whether it did. */
  async cas(key: string, expected: unknown, value: unknown): Promise<boolean> {
    return (await this.shards.propose(key, { op: "cas", key, expected, value })) === true;
  }

  /** Removes `key`; resolves with whether it existed. */
  async delete(key: string): Promise<boolean> {
    return (await this.shards.propose(key, { op: "delete", key })) === true;
  }

  /** The value of `key`, or null: a linearizable read (ReadIndex on the shard's leader). */
  async get(key: string): Promise<unknown> {
    return this.shards.read(key, { op: "get", key });
  }

  /**
   * Every `[key, value]` under `prefix`, in key order: a linearizable scan of each of the 64
   * groups (at most `limitPerGroup` pairs from each), merged.
   */
  async scan(prefix: string, limitPerGroup = 1000): Promise<[string, unknown][]> {
    const pages = await Promise.all(
      groupIds().map((groupId) =>
        this.client
          .group<KvCommand, unknown, KvQuery, [string, unknown][]>(groupId)
          .read({ op: "scan", prefix, limit: limitPerGroup }),
      ),
    );
    return pages.flat().sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * Every committed command on a key starting with `prefix`, from each group's `fromIndex`
   * (default 1: the whole history, a `snapshot` event first where the log was compacted), then
   * live. Within a group, events come in index order, once each; across groups there is no
   * order. Errors with `SubscriberLagError` when it falls too far behind (resume from the last
   * index seen per group).
   */
  watch(
    prefix: string,
    fromIndex: Readonly<Record<string, number>> = {},
  ): Observable<KvWatchEvent> {
    return merge(
      ...groupIds().map((groupId) =>
        this.client
          .group(groupId)
          .committed$({ fromIndex: fromIndex[groupId] ?? 1 })
          .pipe(
            map((event): KvWatchEvent => {
              if (event.type === "snapshot") {
                // The kv kind's snapshot: its [key, value] pairs in key order.
                const all = decodeWire(event.data) as [string, unknown][];
                const pairs = all.filter(([key]) => key.startsWith(prefix));
                return { type: "snapshot", groupId, index: event.index, pairs };
              }
              const command = decodeWire(event.data) as KvCommand;
              return { type: "command", groupId, index: event.index, command };
            }),
          ),
      ),
    ).pipe(filter((event) => event.type === "snapshot" || event.command.key.startsWith(prefix)));
  }
}

/** The ids of the 64 groups. */
export function groupIds(): string[] {
  return Array.from({ length: SHARD_COUNT }, (_, i) => `${SHARD_NAME}-${i}`);
}

/**
 * Replays watch events into a map of the keys under the prefix, deciding each `cas` and
 * `delete` as the `kv` state machine does — a materialized view of the prefix. The view of a
 * complete watch equals `scan(prefix)`.
 */
export function applyWatchEvent(view: Map<string, unknown>, event: KvWatchEvent): void {
  if (event.type === "snapshot") {
    for (const key of [...view.keys()]) {
      if (shardFor(SHARD_NAME, SHARD_COUNT, key) === event.groupId) view.delete(key);
    }
    for (const [key, value] of event.pairs) view.set(key, value);
    return;
  }
  const { command } = event;
  switch (command.op) {
    case "put":
      view.set(command.key, command.value ?? null);
      return;
    case "delete":
      view.delete(command.key);
      return;
    case "cas": {
      const current = view.get(command.key) ?? null;
      const expected = command.expected ?? null;
      // The kv kind compares by identity, then by JSON form.
      if (current === expected || JSON.stringify(current) === JSON.stringify(expected)) {
        view.set(command.key, command.value ?? null);
      }
      return;
    }
  }
}
