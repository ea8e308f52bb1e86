/**
 * The disk-growth scenario's writer: a separate process (so its work never counts as the
 * nodes', and the scenario's once-a-second sampling is not held up by 1,024 proposals in
 * flight) driving the sharded set with a closed loop through `@flotilla/client`. Unlike the load
 * generator it **overwrites a bounded key set** (`k<n mod keys>`): the kv state stays the same
 * size however long it runs, so whatever the LMDB file gains is the log's, not the state's.
 *
 * Spawned by `disk-growth.ts` with one JSON argument (a {@link DiskWriterPlan}); prints
 * {@link DiskWriterEvent} lines on stdout (ready, a progress line every second, the result
 * last). Every phase is bounded; the process exits by itself, and early if its stdin closes
 * (the scenario is gone).
 */
import { FlotillaClient, encodeWire } from "@flotilla/client";
import { sleep } from "../lib/sleep.js";
import { emit as emitLine, ERROR_BACKOFF_MS, errorName, withTimeout } from "./writer-process.js";

/** What the scenario tells the writer. */
export interface DiskWriterPlan {
  readonly cluster: string;
  readonly natsUrl: string;
  readonly shards: string;
  readonly groups: number;
  readonly inFlight: number;
  /** Keys overwritten in turn: the state's size. */
  readonly keys: number;
  readonly valueBytes: number;
  readonly durationMs: number;
  readonly readyTimeoutMs: number;
}

/** A line the writer prints. */
export type DiskWriterEvent =
  | { readonly event: "ready"; readonly readyMs: number }
  | {
      readonly event: "progress";
      /** Proposals acknowledged so far. */
      readonly ops: number;
      /** Their commands' msgpack bytes (what each replica's log holds, session header aside). */
      readonly commandBytes: number;
      readonly failures: number;
    }
  | {
      readonly event: "result";
      readonly ops: number;
      readonly commandBytes: number;
      readonly writeMs: number;
      readonly errors: Readonly<Record<string, number>>;
    };

/** How long the in-flight proposals get to finish once the time is up. */
const DRAIN_MS = 15_000;

function emit(event: DiskWriterEvent): void {
  emitLine(event);
}

type KvPut = { op: "put"; key: string; value: string };

async function run(plan: DiskWriterPlan): Promise<void> {
  const readyStart = performance.now();
  const client = await withTimeout(
    FlotillaClient.connect({
      cluster: plan.cluster,
      nats: { servers: plan.natsUrl, maxReconnectAttempts: 10 },
      timeoutMs: plan.readyTimeoutMs,
    }),
    plan.readyTimeoutMs,
    "connect",
  );
  const shards = client.shards<KvPut>(plan.shards, plan.groups);
  const value = "v".repeat(plan.valueBytes);
  // Every group has a leader before the clock starts.
  await withTimeout(
    Promise.all(
      Array.from({ length: plan.groups }, (_, group) =>
        client
          .group<KvPut>(`${plan.shards}-${group}`)
          .propose({ op: "put", key: `ready-${group}`, value: "ready" }),
      ),
    ),
    plan.readyTimeoutMs,
    "ready",
  );
  emit({ event: "ready", readyMs: performance.now() - readyStart });

  // The size of each key's command, computed once: summing it per write costs nothing.
  const keys = Array.from({ length: plan.keys }, (_, i) => `k${i}`);
  const sizes = keys.map((key) => encodeWire({ op: "put", key, value }).byteLength);
  let counter = 0;
  let ops = 0;
  let commandBytes = 0;
  let failures = 0;
  const errors: Record<string, number> = {};
  let done = false;
  const writeStart = performance.now();
  const slot = async (): Promise<void> => {
    while (!done) {
      const n = counter++ % plan.keys;
      const key = keys[n] ?? `k${n}`;
      try {
        await shards.propose(key, { op: "put", key, value });
        ops++;
        commandBytes += sizes[n] ?? 0;
      } catch (error) {
        failures++;
        errors[errorName(error)] = (errors[errorName(error)] ?? 0) + 1;
        await sleep(ERROR_BACKOFF_MS);
      }
    }
  };
  const slots = Array.from({ length: plan.inFlight }, slot);
  const progress = setInterval(
    () => emit({ event: "progress", ops, commandBytes, failures }),
    1_000,
  );
  await sleep(plan.durationMs);
  done = true;
  await Promise.race([Promise.all(slots), sleep(DRAIN_MS)]);
  clearInterval(progress);
  emit({ event: "result", ops, commandBytes, writeMs: performance.now() - writeStart, errors });
  await Promise.race([client.close(), sleep(2_000)]);
}

const argument = process.argv[2];
if (argument === undefined) {
  process.stderr.write("usage: disk-growth-writer.ts '<DiskWriterPlan JSON>'\n");
  process.exit(2);
}
// The scenario holds our stdin open: its end means the scenario is gone, and so is the run.
process.stdin.on("end", () => process.exit(3));
process.stdin.resume();
run(JSON.parse(argument) as DiskWriterPlan).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`disk-growth writer failed: ${String(error)}\n`);
    process.exit(1);
  },
);
