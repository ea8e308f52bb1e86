/**
 * Issue 7, scenario 6 — fan-out: one remote subscriber following the committed streams of 64
 * groups while a writer loads them fully; how many entries per second reach it, and how far
 * behind the commit it runs.
 *
 * Three `flotilla node` processes host 64 groups (strict durability) over one nats-server. A
 * subscriber process (`fan-out-subscriber.ts`) follows every group's `committed$` through
 * `@flotilla/client` from index 1; once it is subscribed, a writer process (`fan-out-writer.ts`)
 * runs the load generator's closed loop: 1,024 proposals in flight over the sharded set,
 * 100-byte values, distinct keys. The writer records when each key's proposal was acknowledged,
 * the subscriber when each key was delivered, both on the machine's one wall clock; after both
 * have ended the scenario joins them by key (`fan-out-join.ts`). The window is the writer's:
 * warm-up 3 s (full: 5 s), then 10 s (full: 30 s), over which the server processes' CPU is read
 * from `/proc`. After the writer ends, the subscriber runs on until its deliveries stop for a
 * second (bounded), so entries of the window's last moments are not counted missing.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { roundTo } from "../lib/round-to.js";
import { ServerSampler, procStat } from "../lib/server-sampler.js";
import { sleep } from "../lib/sleep.js";
import { FlotillaProcessCluster } from "../systems/flotilla-cluster.js";
import { JsonLinesChild } from "./fan-out-child.js";
import { joinRecords } from "./fan-out-join.js";
import {
  wallMs,
  type FanOutSubscriberEvent,
  type FanOutSubscriberPlan,
  type FanOutTarget,
  type FanOutWriterEvent,
  type FanOutWriterPlan,
} from "./fan-out-protocol.js";
import {
  failedReport,
  type FlotillaScenario,
  type ScenarioContext,
  type ScenarioMeasure,
  type ScenarioReport,
} from "./scenario.js";

const SCENARIO = {
  scenario: 6,
  title:
    "Fan-out: one remote subscriber following 64 groups' committed streams under full write load",
} as const;

const GROUPS = 64;
const IN_FLIGHT = 1024;
const VALUE_BYTES = 100;
const DURABILITY = "strict";
const KEY_PREFIX = "fo";

/** Bound on the writer's ready phase (connect, one write per group: leaders elected). */
const READY_TIMEOUT_MS = 30_000;
/** Bound on a client process's start (tsx compiles on the fly: seconds on a busy machine). */
const SPAWN_TIMEOUT_MS = 30_000;
const WRITER_DRAIN_TIMEOUT_MS = 5_000;
const PROGRESS_INTERVAL_MS = 250;
/** The subscriber has caught up once its deliveries stop moving for this long… */
const SUBSCRIBER_QUIET_MS = 1_000;
/** …or, at most, this long after the writer ended. */
const SUBSCRIBER_CATCH_UP_MAX_MS = 20_000;
/** Bound on a client process printing its result and exiting once told to stop. */
const STOP_TIMEOUT_MS = 20_000;

function measure(
  name: string,
  label: string,
  value: number,
  unit: string,
  digits: number,
  goal?: { readonly text: string; readonly met: (value: number) => boolean },
): ScenarioMeasure {
  const finite = Number.isFinite(value) ? roundTo(value, digits) : null;
  return {
    name,
    label,
    value: finite,
    unit,
    ...(goal === undefined
      ? {}
      : { goal: goal.text, met: finite === null ? null : goal.met(finite) }),
  };
}

/** A lag clamped at 0: "no later than the writer knew" (NaN stays NaN). */
function clamp(lagMs: number): number {
  return Number.isNaN(lagMs) ? lagMs : Math.max(0, lagMs);
}

const ZERO = { text: "0", met: (value: number) => value === 0 } as const;

async function run(context: ScenarioContext): Promise<ScenarioReport> {
  const startedAt = Date.now();
  const startedAtWallMs = wallMs();
  // The machine is shared: the load at start tells a reader how much to trust the figures.
  const loadAtStart = loadavg()
    .map((load) => load.toFixed(2))
    .join(" ");
  const warmupMs = context.quick ? 3_000 : 5_000;
  const windowMs = context.quick ? 10_000 : 30_000;
  const parameters = {
    groups: GROUPS,
    inFlight: IN_FLIGHT,
    valueBytes: VALUE_BYTES,
    nodes: 3,
    subscribers: 1,
    warmupMs,
    windowMs,
  };
  let dir: string | undefined;
  let cluster: FlotillaProcessCluster | undefined;
  let subscriber: JsonLinesChild<FanOutSubscriberEvent> | undefined;
  let writer: JsonLinesChild<FanOutWriterEvent> | undefined;
  try {
    dir = await mkdtemp(join(context.tempRoot, "fan-out-"));
    context.log(`fan-out: starting nats-server and 3 nodes, ${GROUPS} groups (${DURABILITY})`);
    cluster = await FlotillaProcessCluster.start({
      groups: GROUPS,
      durability: DURABILITY,
      natsServerBinary: context.natsServerBinary,
      tempRoot: dir,
    });
    const target: FanOutTarget = {
      cluster: cluster.cluster,
      natsUrl: cluster.natsUrl,
      shards: cluster.shards,
      groups: GROUPS,
    };
    const deliveryFile = join(dir, "deliveries.tsv");
    const ackFile = join(dir, "acks.tsv");

    // The subscriber first: it must be following before the first write commits (it reads from
    // index 1 anyway, so nothing is lost if it were not; it would only start behind).
    const subscriberPlan: FanOutSubscriberPlan = {
      target,
      keyPrefix: KEY_PREFIX,
      recordFile: deliveryFile,
      progressIntervalMs: PROGRESS_INTERVAL_MS,
    };
    subscriber = new JsonLinesChild(
      "fan-out subscriber",
      "./fan-out-subscriber.ts",
      subscriberPlan,
    );
    await subscriber.waitFor("ready", SPAWN_TIMEOUT_MS);
    context.log("fan-out: subscriber following every group; starting the writer");

    const writerPlan: FanOutWriterPlan = {
      target,
      inFlight: IN_FLIGHT,
      valueBytes: VALUE_BYTES,
      keyPrefix: KEY_PREFIX,
      readyTimeoutMs: READY_TIMEOUT_MS,
      warmupMs,
      windowMs,
      drainTimeoutMs: WRITER_DRAIN_TIMEOUT_MS,
      recordFile: ackFile,
    };
    writer = new JsonLinesChild("fan-out writer", "./fan-out-writer.ts", writerPlan);
    await writer.waitFor("ready", SPAWN_TIMEOUT_MS + READY_TIMEOUT_MS);
    context.log(`fan-out: writer ready; warm-up ${warmupMs} ms, window ${windowMs} ms`);
    const windowStart = await writer.waitFor("window-start", warmupMs + 10_000);
    const sampler = new ServerSampler(cluster.serverPids());
    sampler.start();
    const subscriberPid = subscriber.pid;
    const subscriberCpuStart = subscriberPid === undefined ? undefined : procStat(subscriberPid);
    const windowEnd = await writer.waitFor("window-end", windowMs + 10_000);
    const servers = sampler.stop();
    const subscriberCpuEnd = subscriberPid === undefined ? undefined : procStat(subscriberPid);
    const writerResult = await writer.waitFor("result", WRITER_DRAIN_TIMEOUT_MS + STOP_TIMEOUT_MS);
    await writer.exit(STOP_TIMEOUT_MS);

    // The subscriber catches up with the last writes, then stops and writes its records.
    const catchUpStart = performance.now();
    let lastCount = -1;
    let lastMoveMs = performance.now();
    while (performance.now() - catchUpStart < SUBSCRIBER_CATCH_UP_MAX_MS) {
      const count = subscriber.last("progress")?.delivered ?? 0;
      if (count !== lastCount) {
        lastCount = count;
        lastMoveMs = performance.now();
      } else if (performance.now() - lastMoveMs >= SUBSCRIBER_QUIET_MS) {
        break;
      }
      await sleep(PROGRESS_INTERVAL_MS);
    }
    const catchUpMs = performance.now() - catchUpStart;
    subscriber.requestStop();
    const subscriberResult = await subscriber.waitFor("result", STOP_TIMEOUT_MS);
    await subscriber.exit(STOP_TIMEOUT_MS);
    context.log(
      `fan-out: writer acknowledged ${writerResult.acknowledged}, subscriber delivered ` +
        `${subscriberResult.delivered} (caught up ${Math.round(catchUpMs)} ms after the writer ended)`,
    );

    const joined = await joinRecords(ackFile, deliveryFile, windowStart.atMs, windowEnd.atMs);
    const lag = joined.lagRawMs;
    const windowSeconds = (windowEnd.atMs - windowStart.atMs) / 1000;
    const subscriberCpuMs =
      subscriberCpuStart === undefined || subscriberCpuEnd === undefined
        ? Number.NaN
        : subscriberCpuEnd.cpuMs - subscriberCpuStart.cpuMs;
    const errorCount = Object.values(writerResult.errors).reduce((sum, n) => sum + n, 0);
    const measures: ScenarioMeasure[] = [
      measure(
        "delivered-per-s",
        "entries delivered to the subscriber per second (window)",
        joined.deliveriesInWindow / windowSeconds,
        "entries/s",
        0,
      ),
      measure("lag-ms-p50", "lag behind acknowledgement, p50 (≥ 0)", clamp(lag.p50), "ms", 2),
      measure("lag-ms-p90", "lag behind acknowledgement, p90 (≥ 0)", clamp(lag.p90), "ms", 2),
      measure("lag-ms-p99", "lag behind acknowledgement, p99 (≥ 0)", clamp(lag.p99), "ms", 2),
      measure("lag-ms-max", "lag behind acknowledgement, max (≥ 0)", clamp(lag.max), "ms", 2),
      measure("lag-raw-ms-min", "raw lag, min (most negative)", lag.min, "ms", 2),
      measure("lag-raw-ms-p1", "raw lag, p1", lag.p1, "ms", 2),
      measure("lag-raw-ms-p50", "raw lag, p50", lag.p50, "ms", 2),
      measure(
        "lag-negative-pct",
        "entries delivered before their acknowledgement reached the writer",
        joined.deliveredOfWritten === 0
          ? Number.NaN
          : (100 * joined.lagNegative) / joined.deliveredOfWritten,
        "%",
        1,
      ),
      measure(
        "written-in-window",
        "entries acknowledged to the writer in the window",
        joined.writtenInWindow,
        "entries",
        0,
      ),
      measure(
        "delivered-of-written",
        "of those, delivered to the subscriber",
        joined.deliveredOfWritten,
        "entries",
        0,
      ),
      measure(
        "missing",
        "acknowledged in the window, never delivered",
        joined.missingInWindow,
        "entries",
        0,
        ZERO,
      ),
      measure(
        "missing-all-phases",
        "acknowledged at any time (warm-up, window, drain), never delivered",
        joined.missingAll,
        "entries",
        0,
        ZERO,
      ),
      measure(
        "duplicates",
        "deliveries beyond the first of a key (whole run)",
        joined.duplicates,
        "entries",
        0,
        ZERO,
      ),
      measure(
        "index-regressions",
        "events at or below their group's last delivered index (whole run)",
        subscriberResult.indexRegressions,
        "events",
        0,
        ZERO,
      ),
      measure(
        "writer-ops-per-s",
        "writer: proposals acknowledged per second (window)",
        writerResult.ops / (writerResult.windowMs / 1000),
        "ops/s",
        0,
      ),
      measure("writer-latency-ms-p50", "writer: latency p50", writerResult.latencyMs.p50, "ms", 2),
      measure("writer-latency-ms-p99", "writer: latency p99", writerResult.latencyMs.p99, "ms", 2),
      measure("writer-errors", "writer: failed proposals in the window", errorCount, "ops", 0),
      measure(
        "server-cpu-pct-core",
        "servers (3 nodes + nats-server): CPU over the window, 100 = one core",
        (100 * servers.cpuMs) / servers.wallMs,
        "%",
        0,
      ),
      measure("server-rss-mb-max", "servers: summed RSS, max", servers.rssMbMax, "MB", 0),
      measure(
        "subscriber-cpu-pct-core",
        "subscriber process: CPU over the window, 100 = one core",
        (100 * subscriberCpuMs) / servers.wallMs,
        "%",
        0,
      ),
      measure(
        "writer-cpu-pct-core",
        "writer process: CPU over the window, 100 = one core",
        (100 * writerResult.clientCpuMs) / writerResult.windowMs,
        "%",
        0,
      ),
    ];
    const windowOffsetS = (windowStart.atMs - startedAtWallMs) / 1000;
    const notes = [
      "Lag = the subscriber's delivery time − the writer's acknowledgement time of the same key " +
        "(performance.timeOrigin + performance.now() in each process: one machine clock), over " +
        "the entries acknowledged in the window; exact nearest-rank percentiles. It is negative " +
        "when the leader's `committed` message reaches the subscriber before its reply reaches " +
        "the writer: the leader publishes every apply round at once but answers a propose " +
        "request (up to 256 commands) once all of them applied. lag-ms-* clamp at 0; " +
        "lag-raw-ms-* and lag-negative-pct give the signed figures. The commit precedes the " +
        "acknowledgement, so this is a lower bound of the lag behind the commit itself, which " +
        "no client process sees.",
      `Load average at start (1, 5, 15 min): ${loadAtStart}; the machine is shared.`,
      "Lag includes both client processes' event-loop delays (the writer's reply handling, the " +
        "subscriber's decoding of every entry): on 2 shared cores with 3 nodes, nats-server and " +
        "2 clients, CPU contention is part of the figure.",
      `Window = the writer's (acknowledgements between its window-start and window-end). The ` +
        `subscriber ran on ${Math.round(catchUpMs)} ms after the writer ended, until its ` +
        "deliveries stopped for 1 s, so late deliveries of window entries count.",
      `Subscriber: ${subscriberResult.delivered} entry events in all, ${subscriberResult.foreign} ` +
        `not the writer's keyed ones (its ready writes), ${subscriberResult.snapshots} snapshot ` +
        `events, ${subscriberResult.resubscribes} resubscriptions` +
        (subscriberResult.firstError === null
          ? "."
          : `; first stream error: ${subscriberResult.firstError}.`),
      `Writer: ${writerResult.acknowledged} acknowledged in all phases; ` +
        `${joined.deliveredUnacknowledged} keys delivered that the writer never saw ` +
        `acknowledged (in flight when it stopped, or failed on its side and applied anyway); ` +
        `${writerResult.unsettled} proposals unsettled at its drain bound; errors in the window: ` +
        `${JSON.stringify(writerResult.errors)}.`,
    ];
    return {
      scenario: SCENARIO.scenario,
      title: SCENARIO.title,
      system: "flotilla",
      durability: DURABILITY,
      status: "ok",
      error: null,
      parameters,
      measures,
      series: [
        {
          name: "delivered-per-s",
          unit: "entries/s",
          points: joined.perSecond.map(([second, delivered]) => [
            roundTo(windowOffsetS + second, 3),
            delivered,
          ]),
        },
        {
          name: "acknowledged-per-s",
          unit: "ops/s",
          points: joined.perSecond.map(([second, , acknowledged]) => [
            roundTo(windowOffsetS + second, 3),
            acknowledged,
          ]),
        },
        {
          name: "lag-ms-p99-per-s",
          unit: "ms",
          points: joined.perSecond
            .filter(([, , , p99]) => Number.isFinite(p99))
            .map(([second, , , p99]) => [roundTo(windowOffsetS + second, 3), roundTo(p99, 2)]),
        },
      ],
      notes,
      durationMs: Date.now() - startedAt,
    };
  } catch (error) {
    const tails = [writer, subscriber]
      .filter((child) => child !== undefined)
      .map((child) => `${child.name} stderr: ${child.stderrTail() || "(empty)"}`);
    return failedReport(SCENARIO, DURABILITY, startedAt, error, { parameters, notes: tails });
  } finally {
    await Promise.all([writer?.dispose(), subscriber?.dispose()]);
    await cluster?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Scenario 6: fan-out to one remote subscriber of 64 groups under full write load. */
const fanOut: FlotillaScenario = { ...SCENARIO, run };
export default fanOut;
