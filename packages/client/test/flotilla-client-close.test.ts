/**
 * Closing a client against a real nats-server (no Flotilla node: the test answers the group's
 * subjects itself). Whether the client owns its connection or was given one, `close()` ends
 * every pending proposal and read and every `committed$` stream — catching up or following
 * live — with `ClosedConnectionError`, lets no rejection go unhandled, and every call after it
 * fails the same way at once. A stream whose connection is closed underneath it ends too.
 */
import { getEventListeners } from "node:events";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { connect, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import type { CommittedEvent } from "@flotilla/runtime";
import { NatsServer, waitFor } from "@flotilla/testkit";
import { ClientSubjects } from "../src/client-subjects.js";
import { decodeWire, encodeWire } from "../src/client-wire.js";
import { isClosedConnectionError } from "../src/client-lifecycle.js";
import { FlotillaClient } from "../src/flotilla-client.js";
import { UnhandledRejections } from "./unhandled-rejections.js";

const CLUSTER = "closing";
const subjects = new ClientSubjects(CLUSTER);

let server: NatsServer;
/** The test's own connection: it plays the group's leader. */
let leader: NatsConnection;
const connections: NatsConnection[] = [];
let unhandled: UnhandledRejections;

beforeAll(async () => {
  server = await NatsServer.start();
  leader = await connect({ servers: server.url });
});

afterAll(async () => {
  await leader?.close();
  await server?.dispose();
});

beforeEach(() => {
  unhandled = new UnhandledRejections();
});

afterEach(async () => {
  await Promise.all(connections.splice(0).map((nc) => nc.close()));
  leaderSubscriptions.splice(0).forEach((s) => s.unsubscribe());
  unhandled.stop();
});

const leaderSubscriptions: Subscription[] = [];
/** Reads the test's leader received (and left unanswered), per group. */
const readsSeen = new Map<string, number>();

/** Waits until the leader of "reads" holds `count` reads. */
function waitForReads(count: number): Promise<void> {
  return waitFor(() => (readsSeen.get("reads") ?? 0) >= count, {
    description: `${count} reads reached the leader`,
  });
}

/**
 * Plays the leader of `groupId`: swallows proposals and reads (they stay pending) and answers
 * catch-up pages with entries 1–3. A group with no `entries` answer keeps a stream catching up.
 */
async function playLeader(groupId: string, answerEntries: boolean): Promise<void> {
  const swallow = { callback: () => undefined };
  leaderSubscriptions.push(leader.subscribe(subjects.propose(groupId), swallow));
  leaderSubscriptions.push(
    leader.subscribe(subjects.read(groupId), {
      callback: () => {
        readsSeen.set(groupId, (readsSeen.get(groupId) ?? 0) + 1);
      },
    }),
  );
  if (answerEntries) {
    leaderSubscriptions.push(
      leader.subscribe(subjects.entries(groupId), {
        callback: (_error, msg) => {
          const events = [1, 2, 3].map((index) => ({
            type: "entry",
            index,
            term: 1,
            data: encodeWire({ index }),
          }));
          msg.respond(encodeWire({ v: 1, ok: true, result: { after: 0, through: 3, events } }));
        },
      }),
    );
  }
  await leader.flush();
}

/** A stream's events and how it ended. */
function follow(client: FlotillaClient, groupId: string) {
  const seen: CommittedEvent[] = [];
  const end: { error?: unknown; completed?: boolean } = {};
  const subscription = client
    .group(groupId)
    .committed$({ fromIndex: 1 })
    .subscribe({
      next: (event) => seen.push(event),
      error: (error: unknown) => (end.error = error),
      complete: () => (end.completed = true),
    });
  return { seen, end, subscription };
}

const outcome = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => error,
  );

/** Every kind of pending work on one client: proposals (in flight and queued), a read, streams. */
async function startPendingWork(client: FlotillaClient) {
  await playLeader("live", true);
  await playLeader("catching-up", false);
  const live = follow(client, "live");
  const catchingUp = follow(client, "catching-up");
  await waitFor(() => live.seen.length === 3, {
    description: "the live stream caught up (entries 1–3) and follows live",
  });
  // Index 4 arrives live, so the stream is past catch-up when the client closes.
  leader.publish(
    subjects.committed("live"),
    encodeWire({
      v: 1,
      after: 3,
      through: 4,
      events: [{ type: "entry", index: 4, term: 1, data: encodeWire({ index: 4 }) }],
    }),
  );
  await waitFor(() => live.seen.length === 4, { description: "entry 4 arrived live" });
  const group = client.group("live");
  const inFlight = [1, 2].map((n) => outcome(group.propose({ n })));
  const read = outcome(group.read({ q: 1 }));
  // Proposed in the tick of the close: their flush is still scheduled.
  const queued = () => [3, 4].map((n) => outcome(group.propose({ n })));
  return { live, catchingUp, inFlight, read, queued };
}

/** Checks that everything `startPendingWork` began ended with ClosedConnectionError. */
async function expectAllEndedClosed(
  work: Awaited<ReturnType<typeof startPendingWork>>,
  queued: Promise<unknown>[],
) {
  for (const result of await Promise.all([...work.inFlight, work.read, ...queued])) {
    expect(isClosedConnectionError(result), String(result)).toBe(true);
  }
  expect(isClosedConnectionError(work.live.end.error)).toBe(true);
  expect(isClosedConnectionError(work.catchingUp.end.error)).toBe(true);
  expect(work.live.seen.map((e) => (decodeWire(e.data) as { index: number }).index)).toEqual([
    1, 2, 3, 4,
  ]);
  await unhandled.settle();
  expect(unhandled.seen).toEqual([]);
}

describe("FlotillaClient.close()", () => {
  it("ends pending proposals, reads and committed streams with ClosedConnectionError (its own connection)", async () => {
    const client = await FlotillaClient.connect({
      cluster: CLUSTER,
      nats: { servers: server.url },
    });
    const work = await startPendingWork(client);
    const queued = work.queued();
    await client.close();
    expect(client.nc.isClosed()).toBe(true);
    await expectAllEndedClosed(work, queued);
  });

  it("ends them too when the connection was given, and leaves that connection open", async () => {
    const nc = await connect({ servers: server.url });
    connections.push(nc);
    const client = await FlotillaClient.connect({ cluster: CLUSTER, nats: nc });
    const work = await startPendingWork(client);
    const queued = work.queued();
    await client.close();
    await expectAllEndedClosed(work, queued);
    expect(nc.isClosed()).toBe(false);
    // The connection stays usable; the client stays closed.
    await nc.flush();
  });

  it("fails every call made after it at once: propose, read, and a committed$ subscription", async () => {
    const nc = await connect({ servers: server.url });
    connections.push(nc);
    const client = await FlotillaClient.connect({ cluster: CLUSTER, nats: nc });
    await client.close();
    await client.close(); // idempotent
    const group = client.group("after");
    expect(isClosedConnectionError(await outcome(group.propose({ n: 1 })))).toBe(true);
    expect(isClosedConnectionError(await outcome(group.read({ q: 1 })))).toBe(true);
    // The subscription errors synchronously, before subscribe() returns.
    const { end } = follow(client, "after");
    expect(isClosedConnectionError(end.error)).toBe(true);
    await unhandled.settle();
    expect(unhandled.seen).toEqual([]);
  });

  it("a live committed$ stream ends when its given connection is closed underneath it", async () => {
    const nc = await connect({ servers: server.url });
    const client = await FlotillaClient.connect({ cluster: CLUSTER, nats: nc });
    await playLeader("underneath", true);
    const stream = follow(client, "underneath");
    await waitFor(() => stream.seen.length === 3, { description: "the stream caught up" });
    await nc.close();
    await waitFor(() => stream.end.error !== undefined, {
      description: "the stream errored after its connection closed",
    });
    expect(isClosedConnectionError(stream.end.error)).toBe(true);
    await client.close();
  });
});

describe("RemoteGroup.read and its AbortSignal", () => {
  it("rejects with the signal's reason while a request is in flight, leaving no listener", async () => {
    const client = await FlotillaClient.connect({
      cluster: CLUSTER,
      nats: { servers: server.url },
    });
    connections.push(client.nc);
    await playLeader("reads", false);
    const swallowed = waitForReads(30);
    const controller = new AbortController();
    const reads = Array.from({ length: 30 }, (_, q) =>
      outcome(client.group("reads").read({ q }, { signal: controller.signal, timeoutMs: 60_000 })),
    );
    await swallowed;
    // Thirty reads in flight, one listener for them all (no MaxListenersExceededWarning).
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    controller.abort(new Error("enough"));
    for (const result of await Promise.all(reads)) expect((result as Error).message).toBe("enough");
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("leaves no listener on the signal once a read times out", async () => {
    const client = await FlotillaClient.connect({
      cluster: CLUSTER,
      nats: { servers: server.url },
      attemptTimeoutMs: 50,
    });
    connections.push(client.nc);
    const signal = new AbortController().signal;
    // Nobody answers this group: every attempt meets no responders until the deadline.
    const error = await outcome(client.group("nobody").read({ q: 1 }, { signal, timeoutMs: 200 }));
    expect((error as Error).name).toBe("ProposalTimeoutError");
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
  });
});
