/**
 * A client process of the chaos run (forked by the runner, Node IPC): sequential clients, each
 * with its own `FlotillaClient` session, run the seeded workload on their keys and record every
 * operation for `history.jsonl`; committed-stream subscribers follow their groups from index 1,
 * unsubscribe and resume from their saved index now and then, and record every event. A client
 * whose operation ends with an unknown outcome continues under a new client number, as Jepsen's
 * crashed processes do: its old operation stays pending for ever in the history.
 */
import { createWriteStream, writeFileSync, type WriteStream } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import type { Subscription } from "rxjs";
import { decodeWire, FlotillaClient, type RemoteGroup } from "@flotilla/client";
import type { CommittedEvent } from "@flotilla/runtime";
import type { ClientProcessConfig, FromClientProcess, ToClientProcess } from "./client-protocol.js";
import type { ChaosCommand, ChaosSnapshot } from "./chaos-state.js";
import { snapshotValues } from "./chaos-state.js";
import type { HistoryRecord } from "./history-record.js";
import { SeededChoice } from "./seeded-choice.js";
import { END_KEY, type StreamEvent, type SubscriberRecord } from "./stream-record.js";
import type { ClientPlan, SubscriberPlan } from "./workload-plan.js";

/** Client numbers of one logical client's later generations: `clientNum + stride × generation`. */
const CLIENT_GENERATION_STRIDE = 10_000;
/** Bound on one client's operations (the workload stops long before). */
const CLIENT_OPS_MAX = 1_000_000;
/** A subscriber resumes after 2–6 s of following, and stays away 50–500 ms. */
const FOLLOW_MS = { min: 2_000, max: 6_000 } as const;
const AWAY_MS = { min: 50, max: 500 } as const;
/** Bound on re-subscriptions after a stream error (e.g. SubscriberLagError). */
const STREAM_ERRORS_MAX = 1_000;
const PROGRESS_INTERVAL_MS = 5_000;

type Group = RemoteGroup<ChaosCommand, unknown, unknown, unknown>;

/** Sends `message` to the runner; resolves once it is handed to the IPC channel. */
function send(message: FromClientProcess): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

function now(): number {
  return Number(process.hrtime.bigint());
}

/** The workload of one sequential client; resolves when `stopped()` turns true. */
async function runClient(
  plan: ClientPlan,
  client: FlotillaClient,
  config: ClientProcessConfig,
  history: HistoryLog,
  stopped: () => boolean,
): Promise<void> {
  const rng = new SeededChoice(config.seed, plan.clientNum + 1);
  const lastSeen = new Map<string, string | null>();
  let generation = 0;
  for (let seq = 0; seq < CLIENT_OPS_MAX && !stopped(); seq++) {
    const target = rng.pick(plan.keys);
    const group: Group = client.group(target.groupId);
    const key = `${target.groupId}/${target.key}`;
    const clientNum = plan.clientNum + CLIENT_GENERATION_STRIDE * generation;
    const value = `c${plan.clientNum}.${seq}`;
    const timeout = { timeoutMs: config.opTimeoutMs };
    const op =
      target.type === "register"
        ? rng.weighted({ put: 3, get: 4, cas: 3 })
        : rng.weighted({ append: 6, "read-list": 4 });
    const expected = lastSeen.get(key) ?? null;
    const call = now();
    try {
      switch (op) {
        case "put":
          await group.propose({ op, key: target.key, value }, timeout);
          history.add({ client: clientNum, key, op, value, call, return: now() });
          lastSeen.set(key, value);
          break;
        case "cas": {
          const swapped = await group.propose({ op, key: target.key, expected, value }, timeout);
          const output = swapped === true;
          history.add({ client: clientNum, key, op, value, expected, output, call, return: now() });
          if (output) lastSeen.set(key, value);
          break;
        }
        case "append":
          await group.propose({ op, key: target.key, value }, timeout);
          history.add({ client: clientNum, key, op, value, call, return: now() });
          break;
        case "get": {
          const output = (await group.read({ op, key: target.key }, timeout)) as string | null;
          history.add({ client: clientNum, key, op, output, call, return: now() });
          lastSeen.set(key, output);
          break;
        }
        case "read-list": {
          const output = (await group.read({ op, key: target.key }, timeout)) as string[];
          history.add({ client: clientNum, key, op, output, call, return: now() });
          break;
        }
      }
    } catch {
      // A read that failed has no effect and constrains nothing: it is left out. A write that
      // failed may still apply (the client retries through elections until its timeout, and a
      // proposal in flight can commit later): its outcome is unknown, and this client goes on
      // under a new number so that its pending write does not order its later operations.
      if (op === "put" || op === "cas" || op === "append") {
        history.add({
          client: clientNum,
          key,
          op,
          value,
          ...(op === "cas" ? { expected } : {}),
          call,
          return: null,
        });
        generation++;
      }
    }
  }
}

/** The history lines of this process, streamed to its file. */
class HistoryLog {
  ops = 0;
  acked = 0;
  private readonly out: WriteStream;

  constructor(file: string) {
    this.out = createWriteStream(file, { flags: "w" });
  }

  add(record: HistoryRecord): void {
    this.ops++;
    if (record.return !== null) this.acked++;
    this.out.write(`${JSON.stringify(record)}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}

/** One committed-stream subscriber: follows, leaves, resumes from its saved index. */
class StreamFollower {
  readonly events: StreamEvent[] = [];
  resumes = 0;
  reachedEnd = false;
  errors = 0;
  lastError: string | undefined;
  private lastIndex = 0;
  private subscription: Subscription | undefined;
  private closed = false;

  constructor(
    readonly plan: SubscriberPlan,
    private readonly group: Group,
  ) {}

  subscribe(): void {
    if (this.closed || this.reachedEnd || this.subscription !== undefined) return;
    this.subscription = this.group.committed$({ fromIndex: this.lastIndex + 1 }).subscribe({
      next: (event) => this.onEvent(event),
      error: (error: unknown) => {
        this.subscription = undefined;
        this.errors++;
        this.lastError = String(error);
        if (this.errors < STREAM_ERRORS_MAX) {
          setTimeout(() => this.subscribe(), 100);
        }
      },
    });
  }

  /** Unsubscribes; the next `subscribe` resumes after the last index seen. */
  leave(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  close(): void {
    this.closed = true;
    this.leave();
  }

  record(): SubscriberRecord {
    return {
      subscriberId: this.plan.subscriberId,
      groupId: this.plan.groupId,
      events: this.events,
      resumes: this.resumes,
      reachedEnd: this.reachedEnd,
      ...(this.lastError === undefined ? {} : { error: `${this.errors}× ${this.lastError}` }),
    };
  }

  private onEvent(event: CommittedEvent): void {
    if (this.reachedEnd) return;
    this.lastIndex = Math.max(this.lastIndex, event.index);
    if (event.type === "snapshot") {
      const snapshot = decodeWire(event.data) as ChaosSnapshot;
      const hasEnd = snapshot[0].some(([key]) => key === END_KEY);
      this.events.push({
        type: "snapshot",
        index: event.index,
        term: event.term,
        values: [...snapshotValues(snapshot)],
        hasEnd,
      });
      if (hasEnd) this.end();
      return;
    }
    const command = decodeWire(event.data) as ChaosCommand;
    this.events.push({
      type: "entry",
      index: event.index,
      term: event.term,
      key: command.key,
      op: command.op,
      value: command.value,
    });
    if (command.key === END_KEY) this.end();
  }

  private end(): void {
    this.reachedEnd = true;
    // Unsubscribing inside `next` is fine for RxJS; nothing after the marker is recorded.
    queueMicrotask(() => this.leave());
  }
}

/** Leaves and resumes `follower` now and then until `stopped()`. */
async function churn(
  follower: StreamFollower,
  rng: SeededChoice,
  stopped: () => boolean,
): Promise<void> {
  follower.subscribe();
  for (let round = 0; round < CLIENT_OPS_MAX && !stopped(); round++) {
    await sleepUnless(rng.int(FOLLOW_MS.min, FOLLOW_MS.max), stopped);
    if (stopped()) break;
    follower.leave();
    await delay(rng.int(AWAY_MS.min, AWAY_MS.max));
    follower.resumes++;
    follower.subscribe();
  }
  follower.subscribe();
}

/** Waits `ms`, in short steps so that a stop is noticed soon. */
async function sleepUnless(ms: number, stopped: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (!stopped() && Date.now() < until) await delay(Math.min(100, until - Date.now()));
}

async function connectClient(config: ClientProcessConfig): Promise<FlotillaClient> {
  return FlotillaClient.connect({
    cluster: config.cluster,
    nats: {
      servers: [...config.natsUrls],
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
      pingInterval: 2_000,
      maxPingOut: 2,
      timeout: 2_000,
    },
    timeoutMs: config.opTimeoutMs,
    attemptTimeoutMs: 1_000,
  });
}

async function run(config: ClientProcessConfig, inbox: Inbox): Promise<void> {
  const { plan } = config;
  const history = new HistoryLog(config.historyFile);
  const clients = await Promise.all(plan.clients.map(() => connectClient(config)));
  const streamClient = await connectClient(config);
  let workloadStopped = false;
  const stopped = (): boolean => workloadStopped;
  const followers = plan.subscribers.map(
    (subscriber) => new StreamFollower(subscriber, streamClient.group(subscriber.groupId)),
  );
  await send({ type: "ready" });
  const progress = setInterval(
    () => void send({ type: "progress", ops: history.ops, acked: history.acked }),
    PROGRESS_INTERVAL_MS,
  );
  const loops = plan.clients.map((clientPlan, i) => {
    const client = clients[i];
    if (client === undefined) throw new Error("no client");
    return runClient(clientPlan, client, config, history, stopped);
  });
  const churning = followers.map((follower, i) =>
    churn(follower, new SeededChoice(config.seed, 100_000 + plan.processIndex * 1000 + i), stopped),
  );

  await inbox.next("stop-workload");
  workloadStopped = true;
  await Promise.all([...loops, ...churning]);
  clearInterval(progress);
  await history.close();
  await Promise.all(clients.map((client) => client.close()));
  await send({ type: "workload-done", ops: history.ops, acked: history.acked });

  const finish = await inbox.next("finish-streams");
  const deadline = Date.now() + finish.timeoutMs;
  while (Date.now() < deadline && followers.some((follower) => !follower.reachedEnd)) {
    await delay(50);
  }
  for (const follower of followers) follower.close();
  writeFileSync(
    config.streamsFile,
    JSON.stringify({ subscribers: followers.map((follower) => follower.record()) }),
  );
  await streamClient.close();
  await send({
    type: "streams-done",
    unfinished: followers.filter((f) => !f.reachedEnd).map((f) => f.plan.subscriberId),
  });
}

/** The runner's messages, awaited by type. */
class Inbox {
  private readonly received: ToClientProcess[] = [];
  private waiting: (() => void) | undefined;

  constructor() {
    process.on("message", (message: ToClientProcess) => {
      this.received.push(message);
      this.waiting?.();
    });
  }

  async next<T extends ToClientProcess["type"]>(
    type: T,
  ): Promise<Extract<ToClientProcess, { type: T }>> {
    for (;;) {
      const at = this.received.findIndex((message) => message.type === type);
      if (at >= 0) return this.received.splice(at, 1)[0] as Extract<ToClientProcess, { type: T }>;
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }
}

const inbox = new Inbox();
// The runner gone (its IPC channel closed) means this process has nothing left to do.
process.on("disconnect", () => process.exit(1));
inbox
  .next("start")
  .then((start) => run(start.config, inbox))
  .then(
    () => process.exit(0),
    (error: unknown) =>
      send({ type: "failed", error: String(error) }).finally(() => process.exit(1)),
  );
