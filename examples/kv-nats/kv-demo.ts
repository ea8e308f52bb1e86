/**
 * The kv-nats example as a program: a client process (no replica) that connects to a running
 * cluster hosting `kv-0` … `kv-63`, watches a prefix, then puts, reads, compares-and-sets and
 * deletes, and prints each step as one JSON line. Exits 0 once the watch saw every change.
 *
 *   FLOTILLA_NATS=127.0.0.1:4222 FLOTILLA_CLUSTER=kv \
 *     node --import tsx --conditions=@flotilla/source examples/kv-nats/kv-demo.ts
 */
import { FlotillaClient } from "@flotilla/client";
import { KvClient, applyWatchEvent } from "./kv-client.js";

const WATCH_TIMEOUT_MS = 10_000;

async function main(): Promise<void> {
  const client = await FlotillaClient.connect({
    cluster: process.env["FLOTILLA_CLUSTER"] ?? "kv",
    nats: { servers: (process.env["FLOTILLA_NATS"] ?? "127.0.0.1:4222").split(",") },
  });
  const kv = new KvClient(client);
  const print = (step: string, result: unknown): void =>
    console.log(JSON.stringify({ step, result }));
  const prefix = `demo-${process.pid}/`;
  const view = new Map<string, unknown>();
  const watching = kv.watch(prefix).subscribe((event) => applyWatchEvent(view, event));
  try {
    print("put", await kv.put(`${prefix}ada`, { name: "Ada", born: 1815 }));
    print("put", await kv.put(`${prefix}grace`, "Grace"));
    print("get", await kv.get(`${prefix}ada`));
    print("cas (stale)", await kv.cas(`${prefix}grace`, "Alan", "Hopper"));
    print("cas", await kv.cas(`${prefix}grace`, "Grace", "Hopper"));
    print("delete", await kv.delete(`${prefix}ada`));
    print("get (deleted)", await kv.get(`${prefix}ada`));
    print("scan", await kv.scan(prefix));
    // The watch follows 64 committed streams; it has seen everything once its view equals the scan.
    const expected = JSON.stringify(await kv.scan(prefix));
    const deadline = Date.now() + WATCH_TIMEOUT_MS;
    while (JSON.stringify([...view].sort(([a], [b]) => (a < b ? -1 : 1))) !== expected) {
      if (Date.now() > deadline) throw new Error("the watch did not catch up");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    print("watch view", [...view]);
  } finally {
    watching.unsubscribe();
    await client.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error("kv-demo:", error);
    process.exit(1);
  },
);
