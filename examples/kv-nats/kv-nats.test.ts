/**
 * The kv-nats example against a real nats-server: three nodes (`startNodeProcess`, in this
 * process) host `kv-0` … `kv-63`; the client side is `@flotilla/client` only — the `KvClient` in
 * this process, and `kv-demo.ts` as a separate process.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlotillaClient, fnv1a32 } from "@flotilla/client";
import { waitFor } from "@flotilla/testkit";
import {
  KvClient,
  SHARD_COUNT,
  applyWatchEvent,
  groupIds,
  type KvWatchEvent,
} from "./kv-client.js";
import { ExampleProcess } from "./example-process.js";
import { LocalCluster } from "./local-cluster.js";

let cluster: LocalCluster | undefined;
let client: FlotillaClient | undefined;
let kv: KvClient;

beforeAll(async () => {
  cluster = await LocalCluster.start({
    cluster: "kv",
    groupFlags: ["--shards", `kv:${SHARD_COUNT}:kv:n1,n2,n3`],
  });
  await cluster.waitForLeaders(groupIds());
  client = await FlotillaClient.connect({ cluster: "kv", nats: { servers: cluster.url } });
  kv = new KvClient(client);
}, 30_000);

afterAll(async () => {
  await client?.close();
  await cluster?.stop();
}, 30_000);

describe("kv-nats example: 64 kv groups behind @flotilla/client", () => {
  it("routes a key to kv-<fnv1a32(key) % 64>", () => {
    // FNV-1a 32 of "a" is 0xe40c292c; 0xe40c292c % 64 = 44.
    expect(fnv1a32(new TextEncoder().encode("a"))).toBe(0xe40c292c);
    expect(kv.groupFor("a")).toBe("kv-44");
    const used = new Set(Array.from({ length: 1000 }, (_, i) => kv.groupFor(`user/${i}`)));
    expect(used.size).toBe(SHARD_COUNT);
  });

  it("puts, reads linearizably, compares-and-sets and deletes", async () => {
    const keys = Array.from({ length: 100 }, (_, i) => `user/${i}`);
    const previous = await Promise.all(keys.map((key) => kv.put(key, { id: key, n: 1 })));
    expect(previous.every((value) => value === null)).toBe(true);
    expect(await Promise.all(keys.map((key) => kv.get(key)))).toEqual(
      keys.map((key) => ({ id: key, n: 1 })),
    );
    expect(await kv.put("user/1", "one")).toEqual({ id: "user/1", n: 1 });

    expect(await kv.cas("user/1", "wrong", "x")).toBe(false);
    expect(await kv.cas("user/1", "one", "x")).toBe(true);
    expect(await kv.cas("fresh", null, "first")).toBe(true);
    expect(await kv.cas("fresh", null, "second")).toBe(false);
    expect(await kv.get("user/1")).toBe("x");
    expect(await kv.get("fresh")).toBe("first");

    expect(await kv.delete("user/2")).toBe(true);
    expect(await kv.delete("user/2")).toBe(false);
    expect(await kv.get("user/2")).toBeNull();

    const scanned = await kv.scan("user/1");
    expect(scanned.map(([key]) => key)).toEqual(
      ["user/1", ...keys.filter((key) => key.startsWith("user/1") && key !== "user/1")].sort(),
    );
  });

  it("watches a prefix across the 64 committed streams, in index order per group", async () => {
    await kv.put("order/0", "early"); // before the watch: replayed from the log
    const events: KvWatchEvent[] = [];
    let failure: unknown;
    const watching = kv.watch("order/").subscribe({
      next: (event) => events.push(event),
      error: (error: unknown) => (failure = error),
    });
    try {
      for (let i = 0; i < 40; i++) {
        await Promise.all([kv.put(`order/${i}`, `o${i}`), kv.put(`other/${i}`, i)]);
      }
      await kv.cas("order/1", "o1", "o1-paid");
      await kv.cas("order/2", "stale", "never");
      await kv.delete("order/3");

      const view = new Map<string, unknown>();
      const expected = JSON.stringify(await kv.scan("order/"));
      await waitFor(
        () => {
          view.clear();
          for (const event of events) applyWatchEvent(view, event);
          const sorted = [...view].sort(([a], [b]) => (a < b ? -1 : 1));
          return failure !== undefined || JSON.stringify(sorted) === expected;
        },
        { description: "the watch's view equals scan('order/')", timeoutMs: 15_000 },
      );
      expect(failure).toBeUndefined();

      const commands = events.flatMap((e) => (e.type === "command" ? [e] : []));
      // 1 early put + 40 puts + 2 cas + 1 delete, nothing outside the prefix.
      expect(commands).toHaveLength(44);
      expect(commands.every((e) => e.command.key.startsWith("order/"))).toBe(true);
      expect(commands.every((e) => e.groupId === kv.groupFor(e.command.key))).toBe(true);
      expect(commands.filter((e) => e.command.key === "order/0").map((e) => e.command)).toEqual([
        { op: "put", key: "order/0", value: "early" },
        { op: "put", key: "order/0", value: "o0" },
      ]);
      expect(view.get("order/1")).toBe("o1-paid");
      expect(view.get("order/2")).toBe("o2");
      expect(view.has("order/3")).toBe(false);
      const byGroup = new Map<string, number[]>();
      for (const e of events) byGroup.set(e.groupId, [...(byGroup.get(e.groupId) ?? []), e.index]);
      for (const indexes of byGroup.values()) {
        // Strictly increasing: in index order, once each.
        expect(indexes.every((index, i) => i === 0 || index > (indexes[i - 1] ?? 0))).toBe(true);
      }
    } finally {
      watching.unsubscribe();
    }
  });

  it("runs kv-demo.ts as a separate client process", async () => {
    const url = cluster?.url ?? "";
    const demo = new ExampleProcess("examples/kv-nats/kv-demo.ts", {
      FLOTILLA_NATS: url,
      FLOTILLA_CLUSTER: "kv",
    });
    try {
      expect(await Promise.race([demo.exited, timeout(20_000)]), demo.text).toBe(0);
    } finally {
      await demo.kill();
    }
    const steps = demo.lines().map((line) => JSON.parse(line) as { step: string; result: unknown });
    const results = new Map(steps.map(({ step, result }) => [step, result]));
    expect(results.get("cas (stale)")).toBe(false);
    expect(results.get("cas")).toBe(true);
    expect(results.get("get (deleted)")).toBeNull();
    expect(results.get("watch view")).toEqual([[expect.stringMatching(/grace$/), "Hopper"]]);
  }, 30_000);
});

function timeout(ms: number): Promise<string> {
  return new Promise((resolve) => {
    setTimeout(() => resolve(`still running after ${ms} ms`), ms).unref();
  });
}
