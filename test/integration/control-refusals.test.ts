/**
 * Garbage on a node's control subject (issue 12's probe: 2,800 garbage messages once wrote
 * 4.9 MB of log, a stack trace each): a node started as `flotilla node` runs it, over a real
 * nats-server, with its log captured. 2,000 bad requests each get a typed error reply, the node
 * still answers, its `status` counts all 2,000, and the log holds at most one refusal line per
 * second of the flood, none with a stack. A node without `--chaos` refuses the `faults` op.
 */
import { Writable } from "node:stream";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_PROTOCOL_VERSION, ClientSubjects, decodeReply, encodeWire } from "@flotilla/client";
import { SeededRandom } from "@flotilla/raft";
import { NatsServer, liveChildren } from "@flotilla/testkit";
import { parseNodeConfig, startNodeProcess, type RunningNode } from "flotilla";

const CLUSTER = "refusals";
const GARBAGE = 2_000;
/** Requests in flight at once: enough to flood, few enough for one test process. */
const IN_FLIGHT = 100;

let server: NatsServer | undefined;
let running: RunningNode | undefined;
let nc: NatsConnection | undefined;
let root: string | undefined;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  server = await NatsServer.start();
  root = await mkdtemp(join(tmpdir(), "flotilla-refusals-"));
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line !== "") logLines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const config = parseNodeConfig(
    [
      ...["--node-id", "n1", "--cluster", CLUSTER, "--nats", server.url],
      ...["--data-dir", join(root, "n1"), "--group", "g:kv:n1", "--tick-ms", "50"],
    ],
    {},
  );
  running = await startNodeProcess(config, pino({ level: "info" }, destination));
  nc = await connect({ servers: server.url, maxReconnectAttempts: -1, timeout: 2_000 });
}, 60_000);

afterAll(async () => {
  await nc?.close().catch(() => undefined);
  await running?.shutDown();
  await server?.dispose();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
  expect(liveChildren()).toBe(0);
}, 60_000);

/** The i-th bad request: random bytes, msgpack of the wrong shape, or a bad op or argument. */
function garbage(i: number, random: SeededRandom): Uint8Array {
  switch (i % 5) {
    case 0:
      return Uint8Array.from({ length: 1 + random.nextInt(64) }, () => random.nextInt(256));
    case 1:
      return encodeWire([i, "not a map"]);
    case 2:
      return encodeWire({ v: 2, op: "status" });
    case 3:
      return encodeWire({ v: CLIENT_PROTOCOL_VERSION, op: `no-such-op-${i}` });
    default:
      return encodeWire({ v: CLIENT_PROTOCOL_VERSION, op: "transfer-leader", groupId: i });
  }
}

async function request(bytes: Uint8Array): Promise<Record<string, unknown>> {
  if (nc === undefined) throw new Error("not connected");
  const subject = new ClientSubjects(CLUSTER).control("n1");
  const message = await nc.request(subject, bytes, { timeout: 10_000 });
  return decodeReply(message.data);
}

async function controlStats(): Promise<Record<string, unknown>> {
  const reply = await request(encodeWire({ v: CLIENT_PROTOCOL_VERSION, op: "status" }));
  expect(reply["ok"]).toBe(true);
  const stats = (reply["result"] as { stats: Record<string, unknown> }).stats;
  return stats["control"] as Record<string, unknown>;
}

describe("bad control requests (one node, log captured)", () => {
  it("answers 2,000 with typed errors, counts them, and logs at most a line a second", async () => {
    const random = new SeededRandom(12);
    const codes = new Map<string, number>();
    const started = performance.now();
    for (let at = 0; at < GARBAGE; at += IN_FLIGHT) {
      const replies = await Promise.all(
        Array.from({ length: Math.min(IN_FLIGHT, GARBAGE - at) }, (_, k) =>
          request(garbage(at + k, random)),
        ),
      );
      for (const reply of replies) {
        expect(reply["ok"]).toBe(false);
        const code = (reply["error"] as { code: string }).code;
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    }
    const floodMs = performance.now() - started;
    expect(Object.fromEntries(codes)).toEqual({ BAD_REQUEST: GARBAGE });

    const stats = await controlStats();
    expect(stats).toMatchObject({ refused: GARBAGE, refusedByReason: { BAD_REQUEST: GARBAGE } });
    const lines = logLines.filter((line) => line["msg"] === "control request refused");
    // One reason, one line per second of flood at most: a bound that holds however slow the run.
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(Math.ceil(floodMs / 1000) + 1);
    expect(lines.length + Number(stats["suppressed"])).toBe(GARBAGE);
    for (const line of lines) {
      expect(line).not.toHaveProperty("err");
      expect(JSON.stringify(line)).not.toMatch(/\n\s+at /);
    }
    const logged = lines.reduce((sum, line) => sum + JSON.stringify(line).length, 0);
    console.log(
      `${GARBAGE} refusals in ${Math.round(floodMs)} ms: ${lines.length} lines, ${logged} bytes`,
    );
  });

  it("refuses the faults op on a node started without --chaos", async () => {
    const reply = await request(
      encodeWire({ v: CLIENT_PROTOCOL_VERSION, op: "faults", rules: [{ to: "n2", drop: 1 }] }),
    );
    expect(reply["ok"]).toBe(false);
    expect(reply["error"]).toMatchObject({ code: "BAD_REQUEST" });
    expect((reply["error"] as { message: string }).message).toContain("--chaos");
    expect((await controlStats())["refused"]).toBe(GARBAGE + 1);
  });
});
