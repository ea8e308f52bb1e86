import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "@flotilla/runtime";
import { KvStore, SHARD_COUNT, groupIdOf, shardOf, type KvChange } from "./kv.js";
import { TICK_MS, driveUntil, waitFor } from "../support/drive.js";

let store: KvStore | undefined;
afterEach(async () => {
  await store?.stop();
  store = undefined;
});

async function startStore(): Promise<KvStore> {
  const clock = new ManualClock();
  const s = await KvStore.start({ clock, tickIntervalMs: TICK_MS });
  await driveUntil(
    s,
    clock,
    () => Array.from({ length: SHARD_COUNT }, (_, shard) => s.leaderOf(shard)).every(Boolean),
    "every shard has a leader",
  );
  return s;
}

describe("kv example: 16 shards on 3 nodes", () => {
  it("routes keys by FNV-1a and spreads them over the shards", () => {
    // FNV-1a 32 of "a" is 0xe40c292c; 0xe40c292c % 16 = 12.
    expect(shardOf("a")).toBe(0xe40c292c % 16);
    expect(shardOf("a")).toBe(12);
    const shards = new Set(Array.from({ length: 200 }, (_, i) => shardOf(`user/${i}`)));
    expect(shards.size).toBe(SHARD_COUNT);
    expect(groupIdOf(shardOf("a"))).toBe("kv-12");
  });

  it("puts, reads linearizably from any node, compares-and-sets and deletes", async () => {
    store = await startStore();
    const s = store;
    const keys = Array.from({ length: 40 }, (_, i) => `user/${i}`);
    const puts = await Promise.all(keys.map((key) => s.put(key, `v-${key}`)));
    expect(puts.every((r) => r.ok && r.previous === null)).toBe(true);
    for (const via of [0, 1, 2]) {
      const values = await Promise.all(keys.map((key) => s.get(key, via)));
      expect(values).toEqual(keys.map((key) => `v-${key}`));
    }

    expect(await s.cas("user/1", "wrong", "x")).toEqual({ ok: false, previous: "v-user/1" });
    expect(await s.cas("user/1", "v-user/1", "x")).toEqual({ ok: true, previous: "v-user/1" });
    expect(await s.cas("fresh", null, "first")).toEqual({ ok: true, previous: null });
    expect(await s.get("user/1", 2)).toBe("x");

    expect(await s.delete("user/2")).toEqual({ ok: true, previous: "v-user/2" });
    expect(await s.delete("user/2")).toEqual({ ok: false, previous: null });
    expect(await s.get("user/2", 1)).toBeNull();
  });

  it("watches a key prefix across the groups, in index order within each group", async () => {
    store = await startStore();
    const s = store;
    await s.put("order/0", "early"); // before the watch: replayed from the log
    const changes: KvChange[] = [];
    const subscription = s.watch("order/", 1).subscribe((change) => changes.push(change));
    for (let i = 0; i < 20; i++) {
      await s.put(`order/${i}`, `o${i}`);
      await s.put(`user/${i}`, `u${i}`);
    }
    await s.delete("order/3");
    await waitFor(() => changes.length === 22, "22 order changes on n2");
    subscription.unsubscribe();

    expect(changes.every((c) => c.command.key.startsWith("order/"))).toBe(true);
    expect(changes.filter((c) => c.command.key === "order/0").map((c) => c.command)).toEqual([
      { op: "put", key: "order/0", value: "early" },
      { op: "put", key: "order/0", value: "o0" },
    ]);
    expect(changes.filter((c) => c.command.key === "order/3").at(-1)?.command).toEqual({
      op: "delete",
      key: "order/3",
    });
    for (const change of changes)
      expect(change.groupId).toBe(groupIdOf(shardOf(change.command.key)));
    const byGroup = new Map<string, number[]>();
    for (const c of changes) byGroup.set(c.groupId, [...(byGroup.get(c.groupId) ?? []), c.index]);
    for (const indexes of byGroup.values()) {
      expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
      expect(new Set(indexes).size).toBe(indexes.length);
    }
  });
});
