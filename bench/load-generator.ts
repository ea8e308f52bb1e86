/**
 * The load generator: a separate process that drives one system with the same closed loop
 * whatever the system (100-byte values, distinct keys, N operations in flight), through that
 * system's own Node.js client, as a TypeScript user would. Spawned by `bench/main.ts` with one
 * JSON argument (a {@link LoadPlan}); prints {@link LoadEvent} lines on stdout, the result last.
 * Every phase is bounded; the process exits by itself.
 */
import { performance } from "node:perf_hooks";
import { LatencyHistogram } from "./lib/latency-histogram.js";
import type {
  EtcdTarget,
  FlotillaTarget,
  JetStreamTarget,
  LoadEvent,
  LoadPlan,
} from "./lib/load-target.js";
import { sleep } from "./lib/sleep.js";

/** One system's write path: `write(slot, key, value)` resolves once acknowledged. */
interface Writer {
  write(slot: number, key: string, value: string): Promise<void>;
  close(): Promise<void>;
  readonly detail: string;
}

/** Pause after a failed operation, so a broken system does not spin the loop. */
const ERROR_BACKOFF_MS = 10;

function emit(event: LoadEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

async function flotillaWriter(target: FlotillaTarget, plan: LoadPlan): Promise<Writer> {
  const { FlotillaClient } = await import("@flotilla/client");
  const client = await FlotillaClient.connect({
    cluster: target.cluster,
    nats: { servers: target.natsUrl, maxReconnectAttempts: 10 },
    timeoutMs: plan.readyTimeoutMs,
  });
  const shards = client.shards(target.shards, target.groups);
  // Ready: one write to every group, so each has a leader before the warm-up starts.
  await Promise.all(
    Array.from({ length: target.groups }, (_, group) =>
      client
        .group(`${target.shards}-${group}`)
        .propose({ op: "put", key: `${plan.keyPrefix}-ready-${group}`, value: "ready" }),
    ),
  );
  return {
    detail: `FlotillaClient over ${target.natsUrl}, ${target.groups} group(s) by key hash`,
    async write(_slot, key, value) {
      await shards.propose(key, { op: "put", key, value });
    },
    close: () => client.close(),
  };
}

async function etcdWriter(target: EtcdTarget, plan: LoadPlan): Promise<Writer> {
  const { Etcd3 } = await import("etcd3");
  const deadline = performance.now() + plan.readyTimeoutMs;
  // Puts go to the leader, as the Go figures of REFERENCE.md do: ask each member who leads.
  for (;;) {
    for (const endpoint of target.endpoints) {
      const probe = new Etcd3({ hosts: [endpoint], dialTimeout: 2_000 });
      try {
        const status = await probe.maintenance.status();
        if (status.leader !== "0" && status.header.member_id === status.leader) {
          const client = new Etcd3({ hosts: [endpoint], dialTimeout: 2_000 });
          await client.put(`${plan.keyPrefix}-ready`).value("ready");
          return {
            detail: `etcd3 to the leader ${endpoint}`,
            async write(_slot, key, value) {
              await client.put(key).value(value);
            },
            close: () => Promise.resolve(client.close()),
          };
        }
      } catch {
        // Not up yet, or no leader yet: try the next member.
      } finally {
        probe.close();
      }
    }
    if (performance.now() > deadline) throw new Error("etcd: no leader found in time");
    await sleep(200);
  }
}

async function jetStreamWriter(target: JetStreamTarget, plan: LoadPlan): Promise<Writer> {
  const { connect } = await import("@nats-io/transport-node");
  const { jetstream, jetstreamManager } = await import("@nats-io/jetstream");
  const connections = new Map<string, Awaited<ReturnType<typeof connect>>>();
  for (const server of target.servers) {
    connections.set(
      server.name,
      await connect({ servers: server.url, maxReconnectAttempts: 10, timeout: 5_000 }),
    );
  }
  const first = [...connections.values()][0];
  if (first === undefined) throw new Error("jetstream: no servers");
  const jsm = await jetstreamManager(first, { timeout: plan.readyTimeoutMs });
  // Each stream is published to through a connection to its leader (acknowledged publishes).
  const clients: { js: ReturnType<typeof jetstream>; subjectPrefix: string }[] = [];
  const leaders = new Map<string, number>();
  for (const stream of target.streams) {
    const info = await jsm.streams.info(stream.name);
    const leader = info.cluster?.leader ?? "";
    const nc = connections.get(leader) ?? first;
    leaders.set(leader, (leaders.get(leader) ?? 0) + 1);
    const js = jetstream(nc, { timeout: 10_000 });
    await js.publish(`${stream.subjectPrefix}.${plan.keyPrefix}-ready`, "ready");
    clients.push({ js, subjectPrefix: stream.subjectPrefix });
  }
  const encoder = new TextEncoder();
  return {
    detail:
      `@nats-io/jetstream, ${clients.length} stream(s), publishing to each stream's leader ` +
      `(leaders: ${[...leaders].map(([name, n]) => `${name}×${n}`).join(", ")})`,
    async write(slot, key, value) {
      const stream = clients[slot % clients.length];
      if (stream === undefined) throw new Error("no stream");
      await stream.js.publish(`${stream.subjectPrefix}.${key}`, encoder.encode(value));
    },
    async close() {
      await Promise.all([...connections.values()].map((nc) => nc.close()));
    },
  };
}

function writerFor(plan: LoadPlan): Promise<Writer> {
  switch (plan.target.system) {
    case "flotilla":
      return flotillaWriter(plan.target, plan);
    case "etcd":
      return etcdWriter(plan.target, plan);
    case "jetstream":
      return jetStreamWriter(plan.target, plan);
  }
}

function errorName(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? code : error.name;
  }
  return "unknown";
}

async function run(plan: LoadPlan): Promise<void> {
  const readyStartMs = performance.now();
  const writer = await writerFor(plan);
  const readyMs = performance.now() - readyStartMs;
  emit({ event: "ready" });
  const value = "v".repeat(plan.valueBytes);
  const histogram = new LatencyHistogram();
  const errors: Record<string, number> = {};
  let phase: "warmup" | "window" | "done" = "warmup";
  let ops = 0;
  const slot = async (index: number): Promise<void> => {
    for (let seq = 0; phase !== "done"; seq++) {
      const startMs = performance.now();
      try {
        await writer.write(index, `${plan.keyPrefix}-${index}-${seq}`, value);
        if (phase === "window") {
          histogram.record(performance.now() - startMs);
          ops++;
        }
      } catch (error) {
        if (phase === "window") errors[errorName(error)] = (errors[errorName(error)] ?? 0) + 1;
        await sleep(ERROR_BACKOFF_MS);
      }
    }
  };
  const slots = Array.from({ length: plan.inFlight }, (_, i) => slot(i));
  await sleep(plan.warmupMs);
  const cpuStart = process.cpuUsage();
  const windowStartMs = performance.now();
  phase = "window";
  emit({ event: "window-start" });
  await sleep(plan.windowMs);
  phase = "done";
  const windowMs = performance.now() - windowStartMs;
  const cpu = process.cpuUsage(cpuStart);
  emit({ event: "window-end" });
  await Promise.race([Promise.all(slots), sleep(plan.drainTimeoutMs)]);
  emit({
    event: "result",
    ops,
    windowMs,
    latencyMs: histogram.summary(),
    errors,
    clientCpuMs: (cpu.user + cpu.system) / 1000,
    readyMs,
    detail: writer.detail,
  });
  await Promise.race([writer.close(), sleep(2_000)]);
}

const argument = process.argv[2];
if (argument === undefined) {
  process.stderr.write("usage: load-generator.ts '<LoadPlan JSON>'\n");
  process.exit(2);
}
run(JSON.parse(argument) as LoadPlan).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`load generator failed: ${String(error)}\n`);
    process.exit(1);
  },
);
