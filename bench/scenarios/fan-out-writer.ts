/**
 * The fan-out scenario's writer: a separate process driving the cluster with the load
 * generator's closed loop (N proposals in flight over the sharded set, 100-byte values, distinct
 * keys) through `@flotilla/client`, and recording, per key, the wall time its proposal was
 * acknowledged (committed and applied on the leader, the reply received here). The load
 * generator cannot be reused: it keeps no per-key times. Spawned by `fan-out.ts` with one JSON
 * argument (a {@link FanOutWriterPlan}); prints {@link FanOutWriterEvent} lines on stdout, the
 * result last, and writes its records before that. Every phase is bounded; the process exits by
 * itself, and early if its stdin closes (the scenario is gone).
 */
import { writeFileSync } from "node:fs";
import { FlotillaClient } from "@flotilla/client";
import { LatencyHistogram } from "../lib/latency-histogram.js";
import { sleep } from "../lib/sleep.js";
import { wallMs, type FanOutWriterEvent, type FanOutWriterPlan } from "./fan-out-protocol.js";
import { emit as emitLine, ERROR_BACKOFF_MS, errorName, withTimeout } from "./writer-process.js";

function emit(event: FanOutWriterEvent): void {
  emitLine(event);
}

async function run(plan: FanOutWriterPlan): Promise<void> {
  const { target } = plan;
  const readyStartMs = performance.now();
  const client = await withTimeout(
    FlotillaClient.connect({
      cluster: target.cluster,
      nats: { servers: target.natsUrl, maxReconnectAttempts: 10 },
      timeoutMs: plan.readyTimeoutMs,
    }),
    plan.readyTimeoutMs,
    "connect",
  );
  const shards = client.shards(target.shards, target.groups);
  // Ready: one write to every group, so each has a leader before the warm-up starts. These keys
  // lack the prefix's `-<slot>-` form and are not recorded: the subscriber counts them foreign.
  await withTimeout(
    Promise.all(
      Array.from({ length: target.groups }, (_, group) =>
        client
          .group(`${target.shards}-${group}`)
          .propose({ op: "put", key: `ready-${group}`, value: "ready" }),
      ),
    ),
    plan.readyTimeoutMs,
    "ready (one write per group)",
  );
  const readyMs = performance.now() - readyStartMs;
  emit({ event: "ready" });

  const value = "v".repeat(plan.valueBytes);
  const histogram = new LatencyHistogram();
  const errors: Record<string, number> = {};
  // Every acknowledgement, warm-up and drain included: the scenario picks the window's by time.
  const keys: string[] = [];
  const ackMs: number[] = [];
  let phase: "warmup" | "window" | "done" = "warmup";
  let ops = 0;
  let unsettled = plan.inFlight;
  const slot = async (index: number): Promise<void> => {
    for (let seq = 0; phase !== "done"; seq++) {
      const key = `${plan.keyPrefix}-${index}-${seq}`;
      const startMs = performance.now();
      try {
        await shards.propose(key, { op: "put", key, value });
        keys.push(key);
        ackMs.push(wallMs());
        if (phase === "window") {
          histogram.record(performance.now() - startMs);
          ops++;
        }
      } catch (error) {
        if (phase === "window") errors[errorName(error)] = (errors[errorName(error)] ?? 0) + 1;
        await sleep(ERROR_BACKOFF_MS);
      }
    }
    unsettled--;
  };
  // The scenario gone (stdin closed) ends the load at once; the process then exits by itself.
  process.stdin.on("close", () => (phase = "done")).resume();
  const slots = Array.from({ length: plan.inFlight }, (_, i) => slot(i));
  await sleep(plan.warmupMs);
  const cpuStart = process.cpuUsage();
  const windowStartMs = performance.now();
  if (phase === "warmup") phase = "window";
  emit({ event: "window-start", atMs: wallMs() });
  await sleep(plan.windowMs);
  phase = "done";
  const windowMs = performance.now() - windowStartMs;
  const cpu = process.cpuUsage(cpuStart);
  emit({ event: "window-end", atMs: wallMs() });
  await Promise.race([Promise.all(slots), sleep(plan.drainTimeoutMs)]);

  let text = "";
  for (let i = 0; i < keys.length; i++) text += `${keys[i]}\t${ackMs[i]?.toFixed(3)}\n`;
  writeFileSync(plan.recordFile, text);
  emit({
    event: "result",
    ops,
    acknowledged: keys.length,
    windowMs,
    latencyMs: histogram.summary(),
    errors,
    unsettled,
    clientCpuMs: (cpu.user + cpu.system) / 1000,
    readyMs,
  });
  await Promise.race([client.close(), sleep(2_000)]);
}

const argument = process.argv[2];
if (argument === undefined) {
  process.stderr.write("usage: fan-out-writer.ts '<FanOutWriterPlan JSON>'\n");
  process.exit(2);
}
run(JSON.parse(argument) as FanOutWriterPlan).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`fan-out writer failed: ${String(error)}\n`);
    process.exit(1);
  },
);
