/**
 * Property-based fuzzing (fast-check) of every subject a node listens on (issue 12), against
 * three live `flotilla node` processes over one nats-server: the client subjects
 * (`g.<group>.propose`, `.read`, `.entries`) and the control subject answer every bad payload
 * with a typed error reply within a bound; the Raft subjects (`raft.<node>`, `.bulk`,
 * `.snapshot`) never answer and count what they drop. Afterwards every node runs and answers,
 * every write acknowledged before the fuzzing reads back, the replicas agree, and new writes
 * commit. nats-bad-input.test.ts holds the fixed, named cases; this file throws generated ones.
 *
 * Runs per property: `FLOTILLA_FUZZ_RUNS` (default 40); the seed: `FLOTILLA_FUZZ_SEED`.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errors as natsErrors, type NatsConnection } from "@nats-io/transport-node";
import { CLIENT_PROTOCOL_VERSION, FlotillaClient, decodeWire, encodeWire } from "@flotilla/client";
import { NatsServer, liveChildren, waitFor } from "@flotilla/testkit";
import { decodeChunkAck } from "@flotilla/transport-nats";
import { NodeProcesses, type NodeStatus } from "../support/node-processes.js";
import { badNumber, badPayload, replaced, type LabelledPayload } from "../support/fuzz-payloads.js";

const RUNS = positiveInteger(process.env["FLOTILLA_FUZZ_RUNS"], 40);
const SEED = positiveInteger(process.env["FLOTILLA_FUZZ_SEED"], 12_2025);
const CLUSTER = "fuzz";
const NODE_IDS = ["n1", "n2", "n3"] as const;
const GROUP_IDS = ["s-0", "s-1", "s-2", "s-3"] as const;
const PREFIX = `flotilla.${CLUSTER}`;
/** Bound on one request: an answer later than this counts as a hang. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Writes acknowledged before the fuzzing, read back after it. */
const WRITES_BEFORE = 40;

type KvCommand = { op: "put"; key: string; value: number };
type KvQuery = { op: "get"; key: string };

let server: NatsServer | undefined;
let nodes: NodeProcesses | undefined;
let client: FlotillaClient | undefined;
const acknowledged = new Map<string, number>();
/** Inputs sent, by subject kind, for the report line. */
const sent = { client: 0, control: 0, raft: 0 };

function positiveInteger(text: string | undefined, fallback: number): number {
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`not a positive integer: ${text}`);
  return value;
}

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
  const shards = client.shards<KvCommand, unknown, KvQuery, unknown>("s", GROUP_IDS.length);
  for (let i = 0; i < WRITES_BEFORE; i++) {
    const key = `before-${i}`;
    await shards.propose(key, { op: "put", key, value: i });
    acknowledged.set(key, i);
  }
}, 120_000);

afterAll(async () => {
  await client?.close().catch(() => undefined);
  await nodes?.dispose();
  await server?.dispose();
  expect(liveChildren()).toBe(0);
}, 60_000);

/**
 * Sends a request and decodes the reply. A group's subjects have no responder for a moment
 * while its leadership moves: that is retried (bounded) once a leader is known again.
 */
async function ask(subject: string, data: Uint8Array): Promise<Record<string, unknown>> {
  const { nc, nodes } = fixture();
  for (let attempt = 1; ; attempt++) {
    try {
      const reply = await nc.request(subject, data, { timeout: REQUEST_TIMEOUT_MS });
      return decodeWire(reply.data) as Record<string, unknown>;
    } catch (error) {
      const noResponders = error instanceof natsErrors.RequestError && error.isNoResponders();
      if (!noResponders || attempt >= 5) throw error;
      await nodes.waitForLeaders(GROUP_IDS);
    }
  }
}

/** A typed error reply: `{ v: 1, ok: false, error: { code, message } }`. */
function isTypedError(reply: Record<string, unknown>): boolean {
  const error = reply["error"] as Record<string, unknown> | undefined;
  return (
    reply["v"] === CLIENT_PROTOCOL_VERSION &&
    reply["ok"] === false &&
    typeof error?.["code"] === "string" &&
    typeof error["message"] === "string"
  );
}

/** A reply of the client protocol: a typed error, a success, or a propose reply's outcomes. */
function isProtocolReply(reply: Record<string, unknown>): boolean {
  if (isTypedError(reply)) return true;
  if (reply["v"] !== CLIENT_PROTOCOL_VERSION) return false;
  if (reply["ok"] === true) return true;
  const results = reply["results"];
  return (
    Array.isArray(results) &&
    results.every((outcome: Record<string, unknown>) =>
      outcome["ok"] === true ? true : isTypedError({ v: 1, ...outcome }),
    )
  );
}

async function leaderOf(groupId: string): Promise<string> {
  const { nodes } = fixture();
  await nodes.waitForLeaders([groupId]);
  const leader = (await nodes.leaders()).get(groupId);
  if (leader === undefined) throw new Error(`no leader for ${groupId}`);
  return leader;
}

function stat(status: NodeStatus, part: string, name: string): number {
  const value = (status.stats[part] as Record<string, unknown> | undefined)?.[name];
  return typeof value === "number" ? value : 0;
}

/** Every node answers; every write acknowledged before the fuzzing reads back; new ones commit. */
async function expectNothingLost(tag: string): Promise<void> {
  const { nodes, client } = fixture();
  expect(nodes.liveNodeIds()).toEqual([...NODE_IDS]);
  for (const nodeId of NODE_IDS) await nodes.status(nodeId);
  const shards = client.shards<KvCommand, unknown, KvQuery, unknown>("s", GROUP_IDS.length);
  for (const [key, value] of acknowledged) {
    expect(await shards.read(key, { op: "get", key }), key).toBe(value);
  }
  for (const groupId of GROUP_IDS) {
    const group = client.group<KvCommand, unknown, KvQuery, unknown>(groupId);
    expect(await group.propose({ op: "put", key: `${tag}-${groupId}`, value: 1 })).toBe(null);
  }
}

const validPropose = {
  v: 1,
  client: "fuzz",
  respondedTo: 0,
  commands: [{ seq: 1, command: encodeWire({ op: "get", key: "k" }) }],
};

/** A propose request whose one command is `command` (client ids vary, so sessions do not). */
function proposeOf(command: Uint8Array, seq: number): Uint8Array {
  return encodeWire({ v: 1, client: `fuzz-${seq}`, respondedTo: 0, commands: [{ seq, command }] });
}

describe("fuzzing every subject of a live node (3 node processes, one nats-server)", () => {
  it("client subjects answer every bad payload with a typed reply", async () => {
    const groupId = "s-0";
    await leaderOf(groupId);
    const valid = {
      propose: validPropose,
      read: { v: 1, query: {} },
      entries: { v: 1, fromIndex: 1 },
    };
    for (const [verb, template] of Object.entries(valid)) {
      const subject = `${PREFIX}.g.${groupId}.${verb}`;
      await fc.assert(
        fc.asyncProperty(badPayload(template), async ({ label, bytes }: LabelledPayload) => {
          sent.client++;
          const reply = await ask(subject, bytes);
          expect(isProtocolReply(reply), `${verb} ${label}: ${JSON.stringify(reply)}`).toBe(true);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    }
    await expectNothingLost("after-client-fuzz");
  }, 300_000);

  it("command bytes of every kind get an outcome each, and bad ones no log entry", async () => {
    const groupId = "s-1";
    await leaderOf(groupId);
    const subject = `${PREFIX}.g.${groupId}.propose`;
    let seq = 0;
    await fc.assert(
      fc.asyncProperty(badPayload({ op: "put", key: "k", value: 1 }), async ({ label, bytes }) => {
        sent.client++;
        const reply = await ask(subject, proposeOf(bytes, ++seq));
        const results = reply["results"] as Record<string, unknown>[] | undefined;
        expect(results?.length, `${label}: ${JSON.stringify(reply)}`).toBe(1);
        expect(isProtocolReply(reply), `${label}: ${JSON.stringify(reply)}`).toBe(true);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    await expectNothingLost("after-command-fuzz");
  }, 300_000);

  // Found for issue 12: command bytes that were not msgpack were appended to the log (on every
  // replica) and only refused when applied. Fixed in client-service.ts: refused at the edge.
  it("a command that is not msgpack is refused before it reaches the log", async () => {
    const { nodes } = fixture();
    const groupId = "s-2";
    const notMsgpack = [
      new Uint8Array([0xc1]),
      new Uint8Array([0x92, 0x01]), // an array of two holding one
      new Uint8Array([0x01, 0x02]), // trailing bytes
      new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff]),
    ];
    const good = encodeWire({ op: "put", key: "edge", value: 1 });
    // Bounded: a leadership change between the two status reads appends a no-op; try again.
    for (let attempt = 1; ; attempt++) {
      const leader = await leaderOf(groupId);
      const before = await nodes.status(leader);
      const replica = (status: NodeStatus) => status.groups.find((g) => g.groupId === groupId);
      const commands = [...notMsgpack, good].map((command, i) => ({ seq: i + 1, command }));
      const request = { v: 1, client: `edge-${attempt}`, respondedTo: 0, commands };
      const reply = await ask(`${PREFIX}.g.${groupId}.propose`, encodeWire(request));
      const results = reply["results"] as { ok: boolean; error?: { code: string } }[];
      expect(results.slice(0, notMsgpack.length).map((outcome) => outcome.error?.code)).toEqual(
        notMsgpack.map(() => "BAD_REQUEST"),
      );
      expect(results[notMsgpack.length]).toMatchObject({ ok: true });
      const after = await nodes.status(leader);
      if (replica(after)?.term !== replica(before)?.term || replica(after)?.role !== "leader") {
        if (attempt < 3) continue;
        throw new Error("the leadership kept moving");
      }
      // Only the good command took a place in the log.
      expect(replica(after)?.lastIndex).toBe((replica(before)?.lastIndex ?? 0) + 1);
      expect(stat(after, "clientService", "badRequests")).toBe(
        stat(before, "clientService", "badRequests") + notMsgpack.length,
      );
      return;
    }
  }, 60_000);

  it("the control subject answers every bad payload with a typed reply", async () => {
    const ops = [
      "status",
      "state",
      "transfer-leader",
      "rebalance",
      "add-learner",
      "promote",
      "remove-member",
      "create-group",
      "delete-group",
    ];
    // Arguments that name no real group or node, or are mistyped: no valid operation results.
    const argument = fc.oneof(
      badNumber,
      fc.constantFrom(null, "", "nope", "s-99", "n9", "a.b", "*", 7, [], {}, [1, 2]),
    );
    const opRequest = fc
      .tuple(fc.constantFrom(...ops), argument, argument, argument, argument)
      .map(([op, groupId, to, nodeId, kind]) => ({
        label: `op ${op}`,
        bytes: encodeWire({ v: 1, op, groupId, to, nodeId, kind, members: kind }),
      }));
    for (const nodeId of NODE_IDS) {
      const subject = `${PREFIX}.ctl.${nodeId}`;
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(badPayload({ v: 1, op: "status" }), opRequest),
          async ({ label, bytes }: LabelledPayload) => {
            sent.control++;
            const reply = await ask(subject, bytes);
            // A payload that happens to be a valid status request is answered with it.
            expect(
              isProtocolReply(reply),
              `ctl ${nodeId} ${label}: ${JSON.stringify(reply).slice(0, 300)}`,
            ).toBe(true);
          },
        ),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    }
    await expectNothingLost("after-control-fuzz");
  }, 300_000);

  it("Raft subjects drop every bad payload without answering, and count it", async () => {
    const { nodes, nc } = fixture();
    // Batches never get an answer; a chunk that decodes (the generators make some) is acked as
    // the chunk protocol says, so replies to chunks must be acks and nothing else.
    const batchInbox = `_INBOX.fuzz-batch.${process.pid}`;
    const chunkInbox = `_INBOX.fuzz-chunk.${process.pid}`;
    const batchReplies: string[] = [];
    const chunkReplies: unknown[] = [];
    const subscriptions = [
      nc.subscribe(batchInbox, {
        callback: (_error, msg) => {
          batchReplies.push(msg.subject);
        },
      }),
      nc.subscribe(chunkInbox, {
        callback: (_error, msg) => {
          try {
            chunkReplies.push(decodeChunkAck(msg.data));
          } catch (error) {
            chunkReplies.push(`not an ack: ${String(error)}`);
          }
        },
      }),
    ];
    try {
      const rejectedBefore = new Map<string, number>();
      for (const nodeId of NODE_IDS) {
        rejectedBefore.set(nodeId, stat(await nodes.status(nodeId), "transport", "rejected"));
      }
      // Real groups and peers, so that decoding must fail on the one bad field: a message that
      // decodes is a forged peer message, not bad input.
      const messages = [
        [1, "s-0", "n2", "n1", 3, 10, 2, false, false], // RequestVote
        [3, "s-0", "n2", "n1", 3, 10, 2, 9, [[11, 3, 0, new Uint8Array(4)]]], // AppendEntries
        [4, "s-1", "n2", "n1", 3, true, 10, 0, 0], // AppendEntriesResult
        [5, "s-2", "n2", "n1", 3, 9, null, false], // Heartbeat
        [9, "s-3", "n2", "n1", 3, [new Uint8Array(2)]], // ForwardedProposal
      ];
      const oneBadField = fc
        .tuple(fc.constantFrom(...messages), fc.nat(), badNumber)
        .map(([message, at, value]) => ({
          label: "a message with one bad number",
          bytes: encodeWire([1, "n2", [replaced(message, at, value)]]),
        }));
      const chunk = [1, "n2", "t-1", 1, 2, 100, null, new Uint8Array(10)];
      const payloads = fc.oneof(
        badPayload([1, "n2", [[8, "nope", "n2", "n1", 1]]]),
        oneBadField,
        badPayload(chunk).map((payload) => ({ ...payload, label: `chunk: ${payload.label}` })),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...NODE_IDS),
          fc.constantFrom("", ".bulk", ".snapshot"),
          payloads,
          async (nodeId, suffix, { bytes }: LabelledPayload) => {
            sent.raft++;
            const reply = suffix === ".snapshot" ? chunkInbox : batchInbox;
            nc.publish(`${PREFIX}.raft.${nodeId}${suffix}`, bytes, { reply });
            await nc.flush();
          },
        ),
        { numRuns: RUNS * 6, seed: SEED, endOnFailure: true },
      );
      // A status round trip after the garbage on the same connection: any answer to it came first.
      for (const nodeId of NODE_IDS) await nodes.status(nodeId);
      await nc.flush();
      expect(batchReplies).toEqual([]);
      expect(chunkReplies.filter((reply) => typeof reply === "string")).toEqual([]);
      let counted = 0;
      for (const nodeId of NODE_IDS) {
        await waitFor(
          async () =>
            stat(await nodes.status(nodeId), "transport", "rejected") >
            (rejectedBefore.get(nodeId) ?? 0),
          { description: `${nodeId} to count dropped Raft payloads`, timeoutMs: 10_000 },
        );
        counted +=
          stat(await nodes.status(nodeId), "transport", "rejected") -
          (rejectedBefore.get(nodeId) ?? 0);
      }
      expect(counted).toBeGreaterThan(0);
      await expectNothingLost("after-raft-fuzz");
    } finally {
      for (const subscription of subscriptions) subscription.unsubscribe();
    }
  }, 300_000);

  it("after all the fuzzing, every replica agrees and the log volume is bounded", async () => {
    const { nodes } = fixture();
    await nodes.waitForCatchUp([...GROUP_IDS]);
    for (const groupId of GROUP_IDS) {
      const states = await Promise.all(NODE_IDS.map((nodeId) => nodes.state(nodeId, groupId)));
      for (const state of states) {
        expect([...state.entries], groupId).toEqual([...(states[0]?.entries ?? [])]);
      }
    }
    const logged = NODE_IDS.map((nodeId) => nodes.logMark(nodeId));
    console.log(
      `fuzz: runs=${RUNS} seed=${SEED} client=${sent.client} control=${sent.control} ` +
        `raft=${sent.raft} log-bytes=${logged.join(",")}`,
    );
    await expectNothingLost("at-the-end");
  }, 120_000);
});
