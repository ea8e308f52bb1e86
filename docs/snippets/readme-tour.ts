/**
 * The README's code, type-checked: every ```ts block in README.md must appear verbatim in a
 * file of this folder (test/docs/readme-snippets.test.ts checks it), and this folder is part of
 * the typecheck. The functions only give the snippets a scope; nothing here runs.
 */
import { Flotilla, FlotillaNode, jsonCodec, type StateMachine } from "flotilla";
import { LmdbNodeStorage } from "@flotilla/storage-lmdb";
import { NatsTransport } from "@flotilla/transport-nats";
import { nodeId } from "@flotilla/raft";

/** A counter: the smallest state machine. */
class Counter implements StateMachine<number, number, null, number> {
  private total = 0;
  apply(command: number): number {
    return (this.total += command);
  }
  query(): number {
    return this.total;
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(String(this.total));
  }
  restore(data: Uint8Array): void {
    this.total = Number(new TextDecoder().decode(data));
  }
}

export async function followCommittedStream(): Promise<void> {
  // README: use 1
  const client = await Flotilla.connect({ cluster: "demo", nats: { servers: "127.0.0.1:4222" } });
  client
    .group("orders-7")
    .committed$({ fromIndex: 1 })
    .subscribe((event) => {
      // { type: "snapshot" | "entry", index, term, data }: in order, once each, after apply.
      console.log(event.type, event.index);
    });
}

export async function shardedKeyValue(): Promise<void> {
  // README: use 2
  const client = await Flotilla.connect({ cluster: "demo", nats: { servers: "127.0.0.1:4222" } });
  const kv = client.shards("kv", 64); // groups kv-0 … kv-63, routed by FNV-1a of the key
  await kv.propose("user:17", { op: "put", key: "user:17", value: "Ada" });
  const swapped = await kv.propose("user:17", {
    op: "cas",
    key: "user:17",
    expected: "Ada",
    value: "Grace",
  });
  const value = await kv.read("user:17", { op: "get", key: "user:17" }); // linearizable
  console.log(swapped, value);
}

export async function leaderOnlyWorker(): Promise<void> {
  // README: use 3
  const node = await FlotillaNode.start({
    nodeId: "n1",
    storage: await LmdbNodeStorage.open("/var/lib/flotilla/n1", { durability: "strict" }),
    transport: await NatsTransport.start({
      cluster: "demo",
      nodeId: nodeId("n1"),
      connect: { servers: ["127.0.0.1:4222"] },
    }),
  });
  const orders = await node.group("orders-7", {
    members: ["n1", "n2", "n3"],
    stateMachine: new Counter(),
    codec: jsonCodec<number>(),
  });
  node.leaderOnly("orders-7", async ({ term, signal }) => {
    // Runs only while this replica leads; `signal` aborts as soon as it stops leading.
    while (!signal.aborted) {
      await orders.propose(1); // the term is a fencing token for anything sent outside
      console.log(`tick from the leader of term ${term}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  });
}
