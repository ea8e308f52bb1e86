/**
 * The `--kinds` module of the chaos run: the `chaos` state machine (registers and lists, every
 * write carrying a unique value, so a lost or doubled write shows in the state and the stream)
 * and its leader companion, which reports each act with its term to the chaos sink so that the
 * run can check fencing afterwards. Loaded by every `flotilla node` of the run.
 */
import { setTimeout as delay } from "node:timers/promises";
import { decodeWire, encodeWire } from "@flotilla/client";
import type { StateMachine } from "@flotilla/runtime";
import { ChaosState, type ChaosCommand, type ChaosQuery } from "./chaos-state.js";

/** The environment variable naming the sink's URL (`http://127.0.0.1:<port>/act`). */
export const CHAOS_SINK_ENV = "FLOTILLA_CHAOS_SINK";

/** The `chaos` kind: a {@link ChaosState} behind the node's msgpack codec. */
export class ChaosStateMachine implements StateMachine<unknown, unknown, unknown, unknown> {
  readonly state = new ChaosState();

  apply(command: unknown): unknown {
    return this.state.apply(command as ChaosCommand);
  }

  query(query: unknown): unknown {
    return this.state.query(query as ChaosQuery);
  }

  snapshot(): Uint8Array {
    return encodeWire(this.state.toSnapshot());
  }

  restore(snapshot: Uint8Array): void {
    this.state.restoreSnapshot(snapshot.byteLength === 0 ? undefined : decodeWire(snapshot));
  }
}

/**
 * What the node process gives a leader companion (the kinds-module hook; issue 12). Declared
 * here, not imported, so this module depends only on the hook's documented shape.
 */
export interface CompanionContext {
  readonly nodeId: string;
  readonly groupId: string;
  readonly kind: string;
  /** The term this replica leads in: the fencing token. */
  readonly term: number;
  /** Aborted once this replica stops leading in `term`. */
  readonly signal: AbortSignal;
  /** True while this leader's lease holds on the monotonic clock: call right before acting. */
  leaseValid(): boolean;
  readonly logger: { warn(object: object, message: string): void };
  propose(command: unknown): Promise<unknown>;
}

/** One act as the companion sends it to the sink (times from `process.hrtime.bigint()`). */
export interface CompanionAct {
  readonly group: string;
  readonly node: string;
  readonly term: number;
  /** When `leaseValid()` said yes, CLOCK_MONOTONIC ns. */
  readonly checkNs: number;
  /** When the act's work was done and it was sent. */
  readonly sendNs: number;
}

/** Pause between two acts of one companion, ms (issue 12: every ~20–50 ms while leading). */
const ACT_GAP_MS = { min: 20, max: 50 } as const;
/**
 * The act's "work" between its lease check and its send: a real worker's action takes time after
 * its check, and that window is what fencing tokens exist for.
 */
const ACT_WORK_MS_MAX = 30;
/** Bound on one send to the sink: a sink that does not answer does not stall the companion. */
const SINK_TIMEOUT_MS = 2_000;

/**
 * The `chaos` kind's companion: while this replica leads, every 20–50 ms, it checks its lease;
 * if the lease holds it records the check time, works 0–30 ms, then sends the act with its term
 * to the sink, which keeps only tokens at least as high as the highest it has seen. Nothing is
 * sent while the lease does not hold. Without a sink configured it does nothing (warned once).
 */
export async function chaosCompanion(ctx: CompanionContext): Promise<void> {
  const sink = process.env[CHAOS_SINK_ENV];
  if (sink === undefined || sink === "") {
    ctx.logger.warn({ groupId: ctx.groupId }, `chaos companion: ${CHAOS_SINK_ENV} is not set`);
    return;
  }
  // A bound on the loop besides the signal: a companion never outlives a day of leadership.
  for (let acts = 0; acts < 10_000_000 && !ctx.signal.aborted; acts++) {
    await delay(between(ACT_GAP_MS.min, ACT_GAP_MS.max), undefined, { signal: ctx.signal });
    if (!ctx.leaseValid()) continue;
    const checkNs = Number(process.hrtime.bigint());
    await delay(between(0, ACT_WORK_MS_MAX));
    const act: CompanionAct = {
      group: ctx.groupId,
      node: ctx.nodeId,
      term: ctx.term,
      checkNs,
      sendNs: Number(process.hrtime.bigint()),
    };
    // The act is sent even if the signal aborted during the work: that is exactly the stale
    // attempt a fencing token must stop, and the sink counts it.
    await fetch(sink, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(act),
      signal: AbortSignal.timeout(SINK_TIMEOUT_MS),
    }).then(
      (response) => response.arrayBuffer(),
      (error: unknown) => ctx.logger.warn({ err: error }, "chaos companion: sink unreachable"),
    );
  }
}

function between(min: number, max: number): number {
  return min + Math.random() * (max - min);
}

/** The kinds this module adds. */
export const kinds = { chaos: () => new ChaosStateMachine() };

/** Leader companions by kind (the node process runs each through `leaderOnly`). */
export const companions = { chaos: chaosCompanion };
