/**
 * The fan-out scenario's subscriber: a separate process following the committed streams of
 * every group of the sharded set with `@flotilla/client`'s `committed$` (from index 1, then
 * live), as a downstream service would, and recording, per entry of the writer, the wall time
 * it was delivered. It checks what it can alone (indexes rising per group, no snapshot events);
 * the scenario joins its records with the writer's for lag, missing and duplicate entries.
 *
 * Spawned by `fan-out.ts` with one JSON argument (a {@link FanOutSubscriberPlan}); prints
 * `ready` once every stream is subscribed, `progress` lines while it runs, and its result when
 * its stdin closes (the scenario's stop, or the scenario gone), after writing its records.
 */
import { writeFileSync } from "node:fs";
import { FlotillaClient, decodeWire } from "@flotilla/client";
import { sleep } from "../lib/sleep.js";
import {
  wallMs,
  type FanOutSubscriberEvent,
  type FanOutSubscriberPlan,
} from "./fan-out-protocol.js";

/** Resubscriptions of one group after a stream error (a `SubscriberLagError`, say), at most. */
const RESUBSCRIBES_MAX = 20;
const RESUBSCRIBE_DELAY_MS = 200;
/** Bound on connecting to NATS. */
const CONNECT_TIMEOUT_MS = 10_000;

function emit(event: FanOutSubscriberEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

async function run(plan: FanOutSubscriberPlan): Promise<void> {
  const { target } = plan;
  const client = await FlotillaClient.connect({
    cluster: target.cluster,
    nats: { servers: target.natsUrl, maxReconnectAttempts: 10, timeout: CONNECT_TIMEOUT_MS },
  });
  const ours = `${plan.keyPrefix}-`;
  const keys: string[] = [];
  const deliveredMs: number[] = [];
  let delivered = 0;
  let foreign = 0;
  let snapshots = 0;
  let indexRegressions = 0;
  let resubscribes = 0;
  let firstError: string | null = null;
  let stopping = false;
  const unsubscribes = new Map<string, () => void>();

  const follow = (groupId: string, fromIndex: number, attempt: number): void => {
    let lastIndex = fromIndex - 1;
    const subscription = client
      .group(groupId)
      .committed$({ fromIndex })
      .subscribe({
        next: (event) => {
          // The delivery time first: decoding is the subscriber's work, not the stream's delay.
          const atMs = wallMs();
          if (event.index <= lastIndex) indexRegressions++;
          lastIndex = Math.max(lastIndex, event.index);
          if (event.type === "snapshot") {
            snapshots++;
            return;
          }
          delivered++;
          let key: unknown;
          try {
            key = (decodeWire(event.data) as { key?: unknown } | null)?.key;
          } catch {
            key = undefined; // not msgpack: not the writer's
          }
          if (typeof key === "string" && key.startsWith(ours)) {
            keys.push(key);
            deliveredMs.push(atMs);
          } else {
            foreign++;
          }
        },
        error: (error: unknown) => {
          firstError ??= `${groupId}: ${error instanceof Error ? error.message : String(error)}`;
          if (stopping || attempt >= RESUBSCRIBES_MAX) return;
          resubscribes++;
          // Resume after the last index delivered: nothing twice, nothing skipped.
          setTimeout(() => follow(groupId, lastIndex + 1, attempt + 1), RESUBSCRIBE_DELAY_MS);
        },
      });
    unsubscribes.set(groupId, () => subscription.unsubscribe());
  };
  for (let group = 0; group < target.groups; group++) follow(`${target.shards}-${group}`, 1, 0);
  // Every live subscription registered at the server: whatever commits from now on is seen.
  await client.nc.flush();
  emit({ event: "ready" });

  const cpuStart = process.cpuUsage();
  const progress = setInterval(
    () => emit({ event: "progress", delivered }),
    plan.progressIntervalMs,
  );
  await new Promise<void>((resolve) => {
    process.stdin.once("close", resolve).resume();
  });
  stopping = true;
  clearInterval(progress);
  for (const unsubscribe of unsubscribes.values()) unsubscribe();
  const cpu = process.cpuUsage(cpuStart);

  let text = "";
  for (let i = 0; i < keys.length; i++) text += `${keys[i]}\t${deliveredMs[i]?.toFixed(3)}\n`;
  writeFileSync(plan.recordFile, text);
  emit({
    event: "result",
    delivered,
    foreign,
    snapshots,
    indexRegressions,
    resubscribes,
    clientCpuMs: (cpu.user + cpu.system) / 1000,
    firstError,
  });
  await Promise.race([client.close(), sleep(2_000)]);
}

const argument = process.argv[2];
if (argument === undefined) {
  process.stderr.write("usage: fan-out-subscriber.ts '<FanOutSubscriberPlan JSON>'\n");
  process.exit(2);
}
run(JSON.parse(argument) as FanOutSubscriberPlan).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`fan-out subscriber failed: ${String(error)}\n`);
    process.exit(1);
  },
);
