// Throughput of NatsTransport between two transports over one real nats-server on loopback:
// batches of GROUPS heartbeats (priority lane) or GROUPS one-entry appends of 100 B (bulk lane),
// at most WINDOW batches in flight. Prints batches/s and Raft messages/s per kind.
// Run: node --conditions=@flotilla/source --import tsx packages/transport-nats/bench/batches.mjs
import { nodeId } from "@flotilla/raft";
import { NatsServer } from "@flotilla/testkit";
import { NatsTransport } from "@flotilla/transport-nats";

const GROUPS = Number(process.env.GROUPS ?? 100);
const BATCHES = Number(process.env.BATCHES ?? 20_000);
const WINDOW = 64;
const n1 = nodeId("n1");
const n2 = nodeId("n2");

function heartbeats() {
  return Array.from({ length: GROUPS }, (_, g) => ({
    groupId: `g${g}`,
    message: {
      type: "Heartbeat",
      from: n1,
      to: n2,
      term: 7,
      commitIndex: 1_000 + g,
      context: undefined,
    },
  }));
}

function appends() {
  return Array.from({ length: GROUPS }, (_, g) => ({
    groupId: `g${g}`,
    message: {
      type: "AppendEntries",
      from: n1,
      to: n2,
      term: 7,
      prevLogIndex: 1_000,
      prevLogTerm: 7,
      leaderCommit: 999,
      entries: [{ type: "normal", index: 1_001, term: 7, data: new Uint8Array(100).fill(g) }],
    },
  }));
}

async function run(kind, messages) {
  const server = await NatsServer.start();
  const a = await NatsTransport.start({
    cluster: "bench",
    nodeId: n1,
    connect: { servers: server.url },
  });
  const b = await NatsTransport.start({
    cluster: "bench",
    nodeId: n2,
    connect: { servers: server.url },
  });
  let received = 0;
  let wake = () => {};
  b.onBatch(() => {
    received++;
    wake();
  });
  const started = Date.now();
  for (let sent = 0; sent < BATCHES; sent++) {
    while (sent - received >= WINDOW) await new Promise((resolve) => (wake = resolve));
    a.send(n2, { from: n1, messages });
  }
  while (received < BATCHES) await new Promise((resolve) => (wake = resolve));
  const seconds = (Date.now() - started) / 1_000;
  console.log(
    `${kind}: ${messages.length} messages/batch, ${Math.round(BATCHES / seconds)} batches/s, ` +
      `${Math.round((BATCHES * messages.length) / seconds)} messages/s, ${(a.stats().bytesSent / BATCHES).toFixed(0)} B/batch`,
  );
  await a.close();
  await b.close();
  await server.dispose();
}

await run("heartbeats", heartbeats());
await run("appends", appends());
await run("empty pings", []);
