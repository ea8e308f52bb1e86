/**
 * NatsTransport against real nats-server processes (started by @flotilla/testkit on loopback):
 * two transports exchange batches of every message kind and empty batches (pings); a send larger
 * than max_payload is cut and arrives complete; priority and bulk messages travel on separate
 * subjects; a multi-MB snapshot arrives in chunks and survives a lost chunk; a transport fails
 * over when its NATS server is killed in a 3-server cluster; bad bytes on every subject are
 * logged, counted and dropped while traffic carries on.
 */
import { afterEach, describe, expect, it } from "vitest";
import { connect, nkeys, type NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { nodeId, type Message, type NodeId } from "@flotilla/raft";
import type { GroupMessage, RaftBatch } from "@flotilla/runtime";
import { NatsCluster, NatsServer, liveChildren, waitFor } from "@flotilla/testkit";
import { NatsTransport, type NatsTransportOptions } from "@flotilla/transport-nats";
import { oneOfEachMessage } from "../../packages/transport-nats/test/support/arbitraries.js";

const n1 = nodeId("n1");
const n2 = nodeId("n2");
const CLUSTER = "itest";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  // Transports and connections first, servers last; each step bounded by the fixtures.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  expect(liveChildren()).toBe(0);
});

async function startServer(
  options: Parameters<typeof NatsServer.start>[0] = {},
): Promise<NatsServer> {
  const server = await NatsServer.start(options);
  cleanups.push(() => server.dispose());
  return server;
}

async function startTransport(
  id: NodeId,
  servers: string | string[],
  options: Partial<NatsTransportOptions> = {},
): Promise<NatsTransport> {
  const transport = await NatsTransport.start({
    cluster: CLUSTER,
    nodeId: id,
    connect: { servers, reconnectTimeWait: 50, timeout: 2_000 },
    ...options,
  });
  cleanups.push(() => transport.close());
  return transport;
}

async function rawConnection(servers: string | string[]): Promise<NatsConnection> {
  const nc = await connect({ servers, timeout: 2_000 });
  cleanups.push(() => nc.close());
  return nc;
}

/** Collects every batch a transport receives. */
function collect(transport: NatsTransport): RaftBatch[] {
  const received: RaftBatch[] = [];
  transport.onBatch((batch) => received.push(batch));
  return received;
}

const groupMessages = (messages: readonly Message[], groupId = "g1"): GroupMessage[] =>
  messages.map((message) => ({ groupId, message }));

describe("NatsTransport", () => {
  it("delivers every message kind both ways, and empty batches as pings", async () => {
    const server = await startServer();
    const a = await startTransport(n1, server.url);
    const b = await startTransport(n2, server.url);
    const atA = collect(a);
    const atB = collect(b);
    const all = oneOfEachMessage();
    const toB = all.filter((message) => message.to === n2);
    const toA = all.filter((message) => message.to === n1);
    a.send(n2, { from: n1, messages: groupMessages(toB) });
    b.send(n1, { from: n2, messages: groupMessages(toA, "orders-7") });
    a.send(n2, { from: n1, messages: [] });
    b.send(n1, { from: n2, messages: [] });
    const messagesOf = (batches: RaftBatch[]): GroupMessage[] =>
      batches.flatMap((batch) => batch.messages);
    await waitFor(() => messagesOf(atB).length === toB.length && atB.length >= 2, {
      description: "n2 to receive every message and the ping",
    });
    await waitFor(() => messagesOf(atA).length === toA.length && atA.length >= 2, {
      description: "n1 to receive every message and the ping",
    });
    const byType = (messages: GroupMessage[]): GroupMessage[] =>
      [...messages].sort((x, y) =>
        (x.message.type + JSON.stringify(x.message)).localeCompare(
          y.message.type + JSON.stringify(y.message),
        ),
      );
    expect(byType(messagesOf(atB))).toEqual(byType(groupMessages(toB)));
    expect(byType(messagesOf(atA))).toEqual(byType(groupMessages(toA, "orders-7")));
    expect(atB.filter((batch) => batch.messages.length === 0)).toEqual([
      { from: n1, messages: [] },
    ]);
    expect(atA.every((batch) => batch.from === n2)).toBe(true);
    expect(a.stats().rejected + b.stats().rejected).toBe(0);
  });

  it("sends votes and heartbeats on the priority subject, appends with entries on the bulk one", async () => {
    const server = await startServer();
    const a = await startTransport(n1, server.url);
    const b = await startTransport(n2, server.url);
    collect(b);
    const spy = await rawConnection(server.url);
    const seen: string[] = [];
    spy.subscribe(`${b.subjects.priority}.>`, {
      callback: (_, msg) => void seen.push(msg.subject),
    });
    spy.subscribe(b.subjects.priority, { callback: (_, msg) => void seen.push(msg.subject) });
    await spy.flush();
    const all = oneOfEachMessage().filter((message) => message.to === n2);
    a.send(n2, { from: n1, messages: groupMessages(all) });
    await waitFor(() => seen.length === 2, { description: "one payload per lane" });
    expect(seen.sort()).toEqual([b.subjects.priority, b.subjects.bulk].sort());
    expect(seen).not.toContain(b.subjects.snapshot); // a small snapshot travels inline
  });

  it("cuts a send larger than max_payload into several payloads that all arrive", async () => {
    const maxPayloadBytes = 16 * 1024;
    const server = await startServer({ maxPayloadBytes });
    const a = await startTransport(n1, server.url);
    const b = await startTransport(n2, server.url);
    const received = collect(b);
    expect(a.payloadBytesMax()).toBe(maxPayloadBytes); // read from the server's INFO
    const messages: GroupMessage[] = [];
    for (let group = 0; group < 100; group++) {
      messages.push({
        groupId: `g${group}`,
        message: {
          type: "AppendEntries",
          from: n1,
          to: n2,
          term: 2,
          prevLogIndex: 5,
          prevLogTerm: 2,
          leaderCommit: 5,
          entries: [6, 7].map((index) => ({
            type: "normal" as const,
            index,
            term: 2,
            data: new Uint8Array(1_000).fill(group),
          })),
        },
      });
      messages.push({
        groupId: `g${group}`,
        message: {
          type: "Heartbeat",
          from: n1,
          to: n2,
          term: 2,
          commitIndex: 5,
          context: undefined,
        },
      });
    }
    a.send(n2, { from: n1, messages });
    await waitFor(() => received.flatMap((batch) => batch.messages).length === messages.length, {
      description: "all 200 messages",
    });
    const arrived = received.flatMap((batch) => batch.messages);
    const key = (m: GroupMessage): string => `${m.groupId}/${m.message.type}`;
    expect(arrived.map(key).sort()).toEqual(messages.map(key).sort());
    expect(arrived.filter((m) => m.message.type === "AppendEntries")).toEqual(
      messages.filter((m) => m.message.type === "AppendEntries"),
    );
    expect(a.stats().payloadsSent).toBeGreaterThanOrEqual(Math.ceil(200_000 / maxPayloadBytes));
    expect(a.stats().droppedOversize).toBe(0);
  });

  it("drops and counts a message too large for any payload; a bad destination never throws", async () => {
    const server = await startServer({ maxPayloadBytes: 8 * 1024 });
    const a = await startTransport(n1, server.url);
    const b = await startTransport(n2, server.url);
    const received = collect(b);
    const append = oneOfEachMessage().find((message) => message.type === "AppendEntries")!;
    if (append.type !== "AppendEntries") throw new Error("no append");
    const huge: Message = {
      ...append,
      entries: [{ type: "normal", index: 11, term: 3, data: new Uint8Array(10_000) }],
    };
    const ping: Message = { type: "TimeoutNow", from: n1, to: n2, term: 3 };
    a.send(n2, { from: n1, messages: groupMessages([huge, ping]) });
    await waitFor(() => received.length === 1, { description: "the message that fits" });
    expect(received[0]!.messages.map((m) => m.message.type)).toEqual(["TimeoutNow"]);
    expect(a.stats().droppedOversize).toBe(1);
    expect(() => a.send("not a node id!" as NodeId, { from: n1, messages: [] })).not.toThrow();
    expect(a.stats().droppedSends).toBe(1);
  });

  it("sends a multi-MB snapshot in chunks and resumes after a lost chunk", async () => {
    const server = await startServer({ maxPayloadBytes: 256 * 1024 });
    const a = await startTransport(n1, server.url, { snapshotChunkTimeoutMs: 300 });
    const dropped: number[] = [];
    const b = await startTransport(n2, server.url, {
      faults: {
        // Lose chunk 3 the first time it arrives, and chunk 0 too: the sender must resend both.
        dropSnapshotChunk: ({ seq }) => {
          if ((seq === 0 || seq === 3) && !dropped.includes(seq)) {
            dropped.push(seq);
            return true;
          }
          return false;
        },
      },
    });
    const received = collect(b);
    const data = new Uint8Array(5 * 1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >>> 11)) & 0xff;
    const snapshot = oneOfEachMessage(data).find((message) => message.type === "InstallSnapshot")!;
    const heartbeat: Message = {
      type: "Heartbeat",
      from: n1,
      to: n2,
      term: 3,
      commitIndex: 1,
      context: undefined,
    };
    a.send(n2, { from: n1, messages: groupMessages([snapshot, heartbeat], "big") });
    await waitFor(
      () =>
        received.some((batch) => batch.messages.some((m) => m.message.type === "InstallSnapshot")),
      {
        description: "the reassembled snapshot",
        timeoutMs: 30_000,
      },
    );
    const arrived = received
      .flatMap((batch) => batch.messages)
      .find((m) => m.message.type === "InstallSnapshot")!;
    expect(arrived.groupId).toBe("big");
    if (arrived.message.type !== "InstallSnapshot" || snapshot.type !== "InstallSnapshot") {
      throw new Error("not a snapshot");
    }
    // Compared as buffers: a deep equality over 5 M elements would block the loop for seconds.
    expect(Buffer.from(arrived.message.snapshot.data).equals(Buffer.from(data))).toBe(true);
    expect({
      ...arrived.message,
      snapshot: { ...arrived.message.snapshot, data: undefined },
    }).toEqual({
      ...snapshot,
      snapshot: { ...snapshot.snapshot, data: undefined },
    });
    // The heartbeat did not wait for the snapshot: it went first, on the priority lane.
    expect(received[0]!.messages[0]!.message.type).toBe("Heartbeat");
    await waitFor(() => a.stats().snapshotTransfersCompleted === 1, {
      description: "the sender to see the last acknowledgement",
    });
    const sent = a.stats();
    expect(sent.snapshotTransfersCompleted).toBe(1);
    expect(sent.snapshotChunksSent).toBeGreaterThan(20); // 5 MiB in chunks below 256 KiB
    expect(sent.snapshotChunksResent).toBeGreaterThanOrEqual(2);
    expect(b.stats().snapshotChunksDroppedByFault).toBe(2);
    expect(b.stats().snapshotsReceived).toBe(1);
  });

  it("abandons a snapshot transfer whose receiver never answers, within its bound", async () => {
    const server = await startServer();
    const a = await startTransport(n1, server.url, {
      snapshotChunkTimeoutMs: 100,
      snapshotChunkAttemptsMax: 3,
    });
    const b = await startTransport(n2, server.url, { faults: { dropSnapshotChunk: () => true } });
    collect(b);
    const snapshot = oneOfEachMessage(new Uint8Array(200_000)).find(
      (m) => m.type === "InstallSnapshot",
    )!;
    a.send(n2, { from: n1, messages: groupMessages([snapshot]) });
    await waitFor(() => a.stats().snapshotTransfersAbandoned === 1, {
      description: "the abandonment",
    });
    expect(a.stats().snapshotChunksSent).toBe(3);
    expect(b.stats().snapshotsReceived).toBe(0);
  });

  it("fails over to another server of a 3-server cluster when its server is killed", async () => {
    const cluster = await NatsCluster.start({ size: 3 });
    cleanups.push(() => cluster.dispose());
    // a knows every member (the client picks one at random); b knows member 2 only.
    const a = await startTransport(n1, cluster.urls);
    const b = await startTransport(n2, [cluster.server(2).url]);
    const atA = collect(a);
    const atB = collect(b);
    const roundTrip = async (description: string): Promise<void> => {
      const before = atB.length + atA.length;
      await waitFor(
        () => {
          a.send(n2, { from: n1, messages: [] });
          b.send(n1, { from: n2, messages: [] });
          return atB.length > 0 && atA.length > 0 && atB.length + atA.length >= before + 2;
        },
        { description, timeoutMs: 20_000, intervalMs: 100 },
      );
    };
    await roundTrip("traffic before the kill");
    const serverOfA = cluster.serverOnPort(a.connection.info!.port)!;
    expect(serverOfA).toBeDefined();
    const killedPort = serverOfA.port;
    await serverOfA.kill();
    await waitFor(() => a.connection.info?.port !== killedPort && !a.connection.isClosed(), {
      description: "a to reconnect to another server",
      timeoutMs: 20_000,
    });
    const afterKill = atB.length;
    await roundTrip("traffic after the failover");
    expect(atB.length).toBeGreaterThan(afterKill);
  });

  it("logs, counts and drops bad bytes on every subject, and keeps working", async () => {
    const server = await startServer();
    const lines: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => lines.push(line) });
    const a = await startTransport(n1, server.url);
    const b = await startTransport(n2, server.url, { logger });
    const received = collect(b);
    const raw = await rawConnection(server.url);
    const garbage = Uint8Array.from([0xc1, 0xff, 0x00, 0x93]);
    raw.publish(b.subjects.priority, garbage);
    raw.publish(b.subjects.bulk, Uint8Array.from([0x93, 0x01])); // truncated
    raw.publish(b.subjects.priority, new Uint8Array()); // empty
    raw.publish(b.subjects.snapshot, garbage); // no reply subject
    await expect(raw.request(b.subjects.snapshot, garbage, { timeout: 300 })).rejects.toThrow(); // unanswered
    // A well-formed batch with a message addressed to another node is refused too.
    const misaddressed = oneOfEachMessage().filter((m) => m.to === n2)[0]!;
    a.send(nodeId("n2"), {
      from: n1,
      messages: groupMessages([{ ...misaddressed, to: nodeId("n3") }]),
    });
    await waitFor(() => b.stats().rejected === 6, { description: "six rejections" });
    expect(received).toEqual([]);
    const rejections = lines
      .map((line) => JSON.parse(line) as { subject?: string; reason?: string; rejected?: number })
      .filter((entry) => entry.reason !== undefined);
    // Counted every time, logged at the 1st, 2nd, 4th, … so a flood does not flood the log.
    expect(rejections.map((entry) => entry.rejected)).toEqual([1, 2, 4]);
    const subjects = new Set([b.subjects.priority, b.subjects.bulk, b.subjects.snapshot]);
    expect(rejections.every((entry) => subjects.has(entry.subject ?? ""))).toBe(true);
    a.send(n2, { from: n1, messages: [] });
    await waitFor(() => received.length === 1, { description: "a good batch after the bad ones" });
  });

  it("connects with user and password, and close() drains and stops sending", async () => {
    const server = await startServer({ user: "flotilla", password: "s3cret" });
    await expect(
      NatsTransport.start({
        cluster: CLUSTER,
        nodeId: n1,
        connect: { servers: server.url, timeout: 2_000 },
      }),
    ).rejects.toThrow();
    const a = await startTransport(n1, server.url, {
      connect: { servers: server.url, user: "flotilla", pass: "s3cret" },
    });
    const b = await startTransport(n2, server.url, {
      connect: { servers: server.url, user: "flotilla", pass: "s3cret" },
    });
    const received = collect(b);
    a.send(n2, { from: n1, messages: [] });
    await waitFor(() => received.length === 1, { description: "a ping" });
    await a.close();
    expect(a.connection.isClosed()).toBe(true);
    a.send(n2, { from: n1, messages: [] });
    expect(a.stats().droppedSends).toBe(1);
  });

  it("connects with an nkey seed", async () => {
    const user = nkeys.createUser();
    const server = await startServer({
      configExtra: `authorization { users: [ { nkey: "${user.getPublicKey()}" } ] }`,
    });
    const seed = new TextDecoder().decode(user.getSeed());
    const a = await startTransport(n1, server.url, {
      connect: { servers: server.url, nkeySeed: seed },
    });
    const b = await startTransport(n2, server.url, {
      connect: { servers: server.url, nkeySeed: seed },
    });
    const received = collect(b);
    a.send(n2, { from: n1, messages: [] });
    await waitFor(() => received.length === 1, { description: "a ping between nkey users" });
  });

  it("works with no more than the per-node permissions docs/protocol.md lists", async () => {
    const userOf = (id: string): string => `{
      user: "${id}", password: "pw-${id}",
      permissions: {
        publish: { allow: ["flotilla.${CLUSTER}.raft.*", "flotilla.${CLUSTER}.raft.*.bulk",
                           "flotilla.${CLUSTER}.raft.*.snapshot"] }
        subscribe: { allow: ["flotilla.${CLUSTER}.raft.${id}", "flotilla.${CLUSTER}.raft.${id}.bulk",
                             "flotilla.${CLUSTER}.raft.${id}.snapshot", "_INBOX.>"] }
        allow_responses: true
      }
    }`;
    const server = await startServer({
      configExtra: `authorization { users: [ ${userOf("n1")}, ${userOf("n2")} ] }`,
    });
    const as = (id: NodeId) => ({ connect: { servers: server.url, user: id, pass: `pw-${id}` } });
    const a = await startTransport(n1, server.url, { ...as(n1), snapshotChunkBytes: 64 * 1024 });
    const b = await startTransport(n2, server.url, as(n2));
    const atA = collect(a);
    const atB = collect(b);
    const snapshot = oneOfEachMessage(new Uint8Array(300_000).fill(7)).find(
      (message) => message.type === "InstallSnapshot",
    )!;
    a.send(n2, {
      from: n1,
      messages: groupMessages(oneOfEachMessage().filter((m) => m.to === n2)),
    });
    a.send(n2, { from: n1, messages: groupMessages([snapshot], "g2") });
    b.send(n1, { from: n2, messages: [] });
    await waitFor(() => atA.length === 1 && b.stats().snapshotsReceived === 1, {
      description: "batches both ways and a chunked snapshot under per-node permissions",
    });
    expect(atB.flatMap((batch) => batch.messages).length).toBe(
      oneOfEachMessage().filter((m) => m.to === n2).length + 1,
    );
    // What the permissions forbid: n1 cannot listen to n2's subjects.
    const spy = await connect({ servers: server.url, user: "n1", pass: "pw-n1" });
    cleanups.push(() => spy.close());
    const errors: Error[] = [];
    spy.subscribe(b.subjects.priority, { callback: (error) => void (error && errors.push(error)) });
    await waitFor(() => errors.length === 1, { description: "a permissions violation" });
  });

  it("shares a given connection without closing it", async () => {
    const server = await startServer();
    const nc = await rawConnection(server.url);
    const a = await NatsTransport.start({ cluster: CLUSTER, nodeId: n1, connection: nc });
    const b = await NatsTransport.start({ cluster: CLUSTER, nodeId: n2, connection: nc });
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    const received = collect(b);
    a.send(n2, { from: n1, messages: [] });
    await waitFor(() => received.length === 1, { description: "a ping over one connection" });
    await a.close();
    await b.close();
    expect(nc.isClosed()).toBe(false);
  });
});
