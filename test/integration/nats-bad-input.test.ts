/**
 * Bad input on every subject of a live cluster (one nats-server, three `flotilla node`
 * processes): random bytes, truncated msgpack, msgpack of the wrong types, another protocol
 * version, payloads near `max_payload`, unknown group ids. Client and control subjects answer
 * with a typed error; Raft subjects never answer (the node logs, counts and drops); afterwards
 * every node process is alive and a normal propose and read still work.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errors as natsErrors, type NatsConnection } from "@nats-io/transport-node";
import { CLIENT_PROTOCOL_VERSION, FlotillaClient, decodeWire, encodeWire } from "@flotilla/client";
import { NatsServer, liveChildren, waitFor } from "@flotilla/testkit";
import { NodeProcesses, type NodeStatus } from "../support/node-processes.js";

const CLUSTER = "bad";
const NODE_IDS = ["n1", "n2", "n3"] as const;
const GROUP_IDS = ["s-0", "s-1", "s-2", "s-3"] as const;
const PREFIX = `flotilla.${CLUSTER}`;

let server: NatsServer | undefined;
let nodes: NodeProcesses | undefined;
let client: FlotillaClient | undefined;

function fixture(): { nodes: NodeProcesses; client: FlotillaClient; nc: NatsConnection } {
  if (nodes === undefined || client === undefined) throw new Error("the cluster did not start");
  return { nodes, client, nc: client.nc };
}

beforeAll(async () => {
  server = await NatsServer.start();
  const url = server.url;
  nodes = await NodeProcesses.start({
    nodeIds: NODE_IDS,
    cluster: CLUSTER,
    natsServers: () => [url],
    shards: `s:${GROUP_IDS.length}:kv:${NODE_IDS.join(",")}`,
    extraFlags: () => ["--rebalance-ms", "0"],
    controlNats: { servers: url },
  });
  client = await FlotillaClient.connect({ cluster: CLUSTER, nats: { servers: url } });
  await nodes.waitForLeaders(GROUP_IDS, 60_000);
}, 120_000);

afterAll(async () => {
  await client?.close().catch(() => undefined);
  await nodes?.dispose();
  await server?.dispose();
  expect(liveChildren()).toBe(0);
}, 60_000);

/** A seeded generator (mulberry32), so the garbage is the same on every run. */
function randomBytes(seed: number, length: number): Uint8Array {
  let state = seed >>> 0;
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    bytes[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return bytes;
}

/** Payloads no subject accepts, named for failure messages. */
function garbage(maxPayloadBytes: number, valid: Record<string, unknown>): [string, Uint8Array][] {
  const encoded = encodeWire(valid);
  return [
    ["empty", new Uint8Array(0)],
    ["random bytes", randomBytes(1, 64)],
    ["random bytes (more)", randomBytes(2, 4096)],
    ["truncated msgpack", encoded.subarray(0, encoded.byteLength - 3)],
    ["msgpack with a trailing byte cut", encoded.subarray(0, 1)],
    ["a msgpack string", encodeWire("propose")],
    ["a msgpack array", encodeWire([1, "n1", []])],
    ["msgpack nil", encodeWire(null)],
    ["fields of the wrong types", encodeWire({ v: 1, client: 42, op: 7, commands: "x" })],
    ["another protocol version", encodeWire({ ...valid, v: 2 })],
    ["no version", encodeWire({ ...valid, v: undefined })],
    ["a msgpack timestamp (ext -1)", new Uint8Array([0xd6, 0xff, 0, 0, 0, 0])],
    ["an array32 header claiming 4G elements", new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff])],
    ["a map32 header claiming 4G pairs", new Uint8Array([0xdf, 0xff, 0xff, 0xff, 0xff])],
    ["a bin32 header claiming 4 GiB", new Uint8Array([0xc6, 0xff, 0xff, 0xff, 0xff, 0])],
    ["near max_payload", randomBytes(3, maxPayloadBytes - 512)],
  ];
}

function maxPayload(nc: NatsConnection): number {
  return nc.info?.max_payload ?? 1024 * 1024;
}

/** Sends `data` as a request and decodes the reply. */
async function ask(subject: string, data: Uint8Array): Promise<Record<string, unknown>> {
  const { nc } = fixture();
  const reply = await nc.request(subject, data, { timeout: 5_000 });
  return decodeWire(reply.data) as Record<string, unknown>;
}

async function leaderOf(groupId: string): Promise<string> {
  const { nodes } = fixture();
  await nodes.waitForLeaders([groupId]);
  const leader = (await nodes.leaders()).get(groupId);
  if (leader === undefined) throw new Error(`no leader for ${groupId}`);
  return leader;
}

function transportStat(status: NodeStatus, name: string): number {
  const transport = status.stats["transport"] as Record<string, unknown> | undefined;
  const value = transport?.[name];
  return typeof value === "number" ? value : 0;
}

let healthChecks = 0;

/** Every node process runs and answers, and every group takes a write and a read. */
async function expectClusterHealthy(): Promise<void> {
  const { nodes, client } = fixture();
  expect(nodes.liveNodeIds()).toEqual([...NODE_IDS]);
  for (const nodeId of NODE_IDS) await nodes.status(nodeId);
  const key = `healthy-${++healthChecks}`;
  for (const groupId of GROUP_IDS) {
    const group = client.group(groupId);
    expect(await group.propose({ op: "put", key, value: groupId })).toBe(null);
    expect(await group.read({ op: "get", key })).toBe(groupId);
  }
}

describe("bad input on every subject (3 node processes, one nats-server)", () => {
  it("propose, read and entries requests get a BAD_REQUEST reply", async () => {
    const { nc } = fixture();
    const groupId = "s-0";
    await leaderOf(groupId);
    const requests = {
      propose: {
        v: 1,
        client: "c1",
        respondedTo: 0,
        commands: [{ seq: 1, command: encodeWire(1) }],
      },
      read: { v: 1, query: { op: "get", key: "k" } },
      entries: { v: 1, fromIndex: 1 },
    };
    for (const [verb, valid] of Object.entries(requests)) {
      const subject = `${PREFIX}.g.${groupId}.${verb}`;
      for (const [name, data] of garbage(maxPayload(nc), valid)) {
        // A read without a query is the separate (failing) test below.
        if (verb === "read" && name === "fields of the wrong types") continue;
        // Some of these (the string, nil, the array) decode but are not a request map.
        const reply = await ask(subject, data);
        expect(reply, `${verb}: ${name}`).toMatchObject({
          v: CLIENT_PROTOCOL_VERSION,
          ok: false,
          error: { code: "BAD_REQUEST" },
        });
      }
    }
    await expectClusterHealthy();
  }, 60_000);

  // BUG (reported, packages/client/src/client-wire.ts decodeReadRequest): a read request
  // without a `query` field is accepted and `undefined` reaches the state machine, so the reply
  // is COMMAND_FAILED from the kv kind instead of BAD_REQUEST at the edge.
  it("a read request without a query gets a BAD_REQUEST reply", async () => {
    const groupId = "s-0";
    await leaderOf(groupId);
    const reply = await ask(`${PREFIX}.g.${groupId}.read`, encodeWire({ v: 1 }));
    expect(reply).toMatchObject({ v: 1, ok: false, error: { code: "BAD_REQUEST" } });
  });

  it("well-formed proposals of bad commands get an error outcome, the same on every replica", async () => {
    const { nc, nodes } = fixture();
    const groupId = "s-1";
    await leaderOf(groupId);
    const subject = `${PREFIX}.g.${groupId}.propose`;
    const commands: [string, Uint8Array][] = [
      ["a command that is not msgpack", randomBytes(4, 32)],
      ["a kv command of the wrong type", encodeWire("put")],
      ["a kv command with an unknown op", encodeWire({ op: "explode", key: "k" })],
      ["a kv command with a numeric key", encodeWire({ op: "put", key: 7, value: 1 })],
      ["a command near max_payload", randomBytes(5, maxPayload(nc) - 4096)],
    ];
    let seq = 0;
    for (const [name, command] of commands) {
      seq++;
      const request = {
        v: 1,
        client: "bad-commands",
        respondedTo: seq - 1,
        commands: [{ seq, command }],
      };
      const reply = await ask(subject, encodeWire(request));
      const results = reply["results"] as { ok: boolean; error?: { code: string } }[] | undefined;
      // Either one refused outcome, or the request refused as a whole.
      const refused = results === undefined ? reply : results[0];
      expect(refused, `${name}: ${JSON.stringify(reply)}`).toMatchObject({
        ok: false,
        error: { code: expect.any(String) as unknown },
      });
    }
    await expectClusterHealthy();
    await nodes.waitForCatchUp([groupId]);
    const states = await Promise.all(NODE_IDS.map((nodeId) => nodes.state(nodeId, groupId)));
    for (const state of states) expect([...state.entries]).toEqual([...(states[0]?.entries ?? [])]);
  }, 60_000);

  it("requests for unknown groups meet no responders", async () => {
    const { nc } = fixture();
    for (const groupId of ["nope", "s-99", "s-0x"]) {
      for (const verb of ["propose", "read"]) {
        const subject = `${PREFIX}.g.${groupId}.${verb}`;
        const data = encodeWire({ v: 1, query: { op: "get", key: "k" } });
        const error: unknown = await nc.request(subject, data, { timeout: 5_000 }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, subject).toBeInstanceOf(natsErrors.RequestError);
        expect(error instanceof natsErrors.RequestError && error.isNoResponders(), subject).toBe(
          true,
        );
      }
    }
    await expectClusterHealthy();
  }, 60_000);

  it("the control subject answers bad requests with a typed error", async () => {
    const { nc } = fixture();
    for (const nodeId of NODE_IDS) {
      const subject = `${PREFIX}.ctl.${nodeId}`;
      for (const [name, data] of garbage(maxPayload(nc), { v: 1, op: "status" })) {
        const reply = await ask(subject, data);
        expect(reply, `ctl ${nodeId}: ${name}`).toMatchObject({
          v: CLIENT_PROTOCOL_VERSION,
          ok: false,
          error: { code: "BAD_REQUEST" },
        });
      }
      const typed: [Record<string, unknown>, string][] = [
        [{ v: 1, op: "explode" }, "BAD_REQUEST"],
        [{ v: 1, op: 7 }, "BAD_REQUEST"],
        [{ v: 1, op: "state", groupId: 7 }, "BAD_REQUEST"],
        [{ v: 1, op: "state", groupId: "nope" }, "GROUP_NOT_FOUND"],
        [{ v: 1, op: "transfer-leader", groupId: "s-0" }, "BAD_REQUEST"],
        [{ v: 1, op: "create-group", groupId: "x", kind: "kv", members: "n1" }, "BAD_REQUEST"],
      ];
      for (const [request, code] of typed) {
        const reply = await ask(subject, encodeWire(request));
        expect(reply, `ctl ${nodeId}: ${JSON.stringify(request)}`).toMatchObject({
          v: CLIENT_PROTOCOL_VERSION,
          ok: false,
          error: { code },
        });
      }
    }
    await expectClusterHealthy();
  }, 60_000);

  it("Raft subjects drop garbage without answering, and count it", async () => {
    const { nc, nodes } = fixture();
    const inbox = `_INBOX.bad-input.${Date.now()}`;
    const replies: string[] = [];
    const subscription = nc.subscribe(inbox, {
      callback: (_e, msg) => {
        replies.push(msg.subject);
      },
    });
    try {
      const before = new Map<string, number>();
      const logMarks = new Map<string, number>();
      for (const nodeId of NODE_IDS) {
        before.set(nodeId, transportStat(await nodes.status(nodeId), "rejected"));
        logMarks.set(nodeId, nodes.logMark(nodeId));
      }
      const batch = { v: 1 };
      let sent = 0;
      const wrongMessages: [string, Uint8Array][] = [
        ["a batch of another version", encodeWire([2, "n2", []])],
        ["a batch from a bad id", encodeWire([1, "not an id!", []])],
        ["a batch with a bad message", encodeWire([1, "n2", [[99, "s-0", "n2", "n1", 1]]])],
        [
          "a RequestVote one field short",
          encodeWire([1, "n2", [[1, "s-0", "n2", "n1", 9, 1, 1, false]]]),
        ],
        ["a misaddressed message", encodeWire([1, "n2", [[8, "s-0", "n2", "n3", 1]]])],
        ["an unknown group's message", encodeWire([1, "n2", [[8, "nope", "n2", "n1", 1]]])],
        ["a snapshot chunk of wrong types", encodeWire([1, "n2", 5, "x", 1, 1, null, "data"])],
      ];
      for (const nodeId of NODE_IDS) {
        for (const suffix of ["", ".bulk", ".snapshot"]) {
          const subject = `${PREFIX}.raft.${nodeId}${suffix}`;
          const payloads = [...garbage(maxPayload(nc), batch), ...wrongMessages];
          for (const [, data] of payloads) {
            nc.publish(subject, data, { reply: inbox });
            sent++;
          }
        }
      }
      await nc.flush();
      expect(sent).toBeGreaterThan(0);
      // Each node counts what it rejected; an unknown group's message to the right node is not
      // bad wire input, so at least all but those are counted.
      for (const nodeId of NODE_IDS) {
        await waitFor(
          async () =>
            transportStat(await nodes.status(nodeId), "rejected") > (before.get(nodeId) ?? 0),
          { description: `${nodeId} to count rejected Raft payloads`, timeoutMs: 10_000 },
        );
      }
      // A status round trip after the garbage, on the same connections: any answer to the
      // garbage would have arrived before it.
      for (const nodeId of NODE_IDS) await nodes.status(nodeId);
      await nc.flush();
      expect(replies).toEqual([]);
      for (const nodeId of NODE_IDS) {
        const logged = nodes.logSince(nodeId, logMarks.get(nodeId) ?? 0);
        expect(logged, `${nodeId} logs what it dropped`).toMatch(/bad input dropped/);
      }
      await expectClusterHealthy();
    } finally {
      subscription.unsubscribe();
    }
  }, 60_000);

  it("a put near max_payload commits on every replica", async () => {
    const { nc, nodes, client } = fixture();
    const groupId = "s-2";
    const value = randomBytes(6, maxPayload(nc) - 8192);
    const group = client.group(groupId);
    expect(await group.propose({ op: "put", key: "big", value })).toBe(null);
    await nodes.waitForCatchUp([groupId]);
    for (const nodeId of NODE_IDS) {
      const state = await nodes.state(nodeId, groupId);
      const stored = state.entries.get("big");
      // Buffer comparison: a deep equality over a megabyte, element by element, takes seconds.
      expect(stored instanceof Uint8Array && Buffer.from(value).equals(stored), nodeId).toBe(true);
    }
    await expectClusterHealthy();
  }, 60_000);

  // Found by this test: the reply was sent unguarded and the node exited (fixed in
  // control-service.ts: a reply past max_payload becomes a TOO_LARGE error reply).
  it("a control reply larger than max_payload is a typed error and the node carries on", async () => {
    const { nc, nodes, client } = fixture();
    const groupId = "s-3";
    const group = client.group(groupId);
    const half = Math.floor(maxPayload(nc) / 2);
    for (const key of ["half-1", "half-2"]) {
      expect(await group.propose({ op: "put", key, value: randomBytes(7, half) })).toBe(null);
    }
    await nodes.waitForCatchUp([groupId]);
    const reply = await ask(`${PREFIX}.ctl.n1`, encodeWire({ v: 1, op: "state", groupId }));
    expect(reply).toMatchObject({
      v: 1,
      ok: false,
      error: { code: expect.any(String) as unknown },
    });
    await expectClusterHealthy();
  }, 60_000);
});
