/**
 * Closed-loop load: a fixed number of proposals in flight, each slot proposing its next command
 * as soon as the previous one settles, slots spread evenly over the groups. Every command goes
 * to the replica that currently leads its group (from `leader$`); a `NotLeaderError` retries at
 * the hinted leader (or the current one), an `OverloadedError` after a short pause — both mean
 * "certainly not applied". A proposal's latency runs from its first `propose` call to its
 * resolution, retries included: what a caller waits. Only proposals that resolve inside the
 * measurement window are counted.
 */
import { isFlotillaError, isNotLeaderError, isOverloadedError } from "@flotilla/runtime";
import type { InProcessCluster } from "./inprocess-cluster.js";
import { LatencyHistogram } from "./latency-histogram.js";
import { sleep } from "./sleep.js";

/** Attempts of one command before the slot gives it up (each retry waits or changes target). */
export const ATTEMPTS_PER_COMMAND_MAX = 1000;

/** Pause before retrying when no newer leader is known, or after `OverloadedError`. */
const RETRY_PAUSE_MS = 2;

/** What the load measured inside its window. */
export interface ClosedLoopWindow {
  /** Proposals that resolved inside the window. */
  readonly acknowledged: number;
  readonly latency: LatencyHistogram;
  /** Rejections seen during the window, by error code (or name, for untyped errors). */
  readonly errors: Readonly<Record<string, number>>;
  /** Attempts retried at another replica or after a pause, during the window. */
  readonly retries: number;
}

/**
 * Drives `inFlight` slots against `cluster` until {@link stop}.
 *
 * @example
 * const load = ClosedLoop.start(cluster, { inFlight: 16, commandBytes: 100 });
 * await sleep(warmupMs);
 * load.beginWindow();
 * await sleep(windowMs);
 * const window = load.endWindow();
 * await load.stop(drainMs);
 */
export class ClosedLoop {
  private readonly workers: Promise<void>[] = [];
  private stopped = false;
  private recording = false;
  private latency = new LatencyHistogram();
  private acknowledged = 0;
  private retries = 0;
  private errors: Record<string, number> = {};
  private commandsIssued = 0;

  private constructor(
    private readonly cluster: InProcessCluster,
    private readonly commandBytes: number,
  ) {}

  /** Starts `inFlight` slots; slot `s` proposes to group `s mod groupCount`. */
  static start(
    cluster: InProcessCluster,
    options: { readonly inFlight: number; readonly commandBytes: number },
  ): ClosedLoop {
    if (options.commandBytes < 8) throw new RangeError("commands carry an 8-byte sequence number");
    const loop = new ClosedLoop(cluster, options.commandBytes);
    for (let slot = 0; slot < options.inFlight; slot++) {
      loop.workers.push(loop.slot(slot % cluster.groupCount));
    }
    return loop;
  }

  /** Starts counting: what resolves from now on is measured. */
  beginWindow(): void {
    this.latency = new LatencyHistogram();
    this.acknowledged = 0;
    this.retries = 0;
    this.errors = {};
    this.recording = true;
  }

  /** Stops counting and returns the window's figures; the slots keep proposing. */
  endWindow(): ClosedLoopWindow {
    this.recording = false;
    return {
      acknowledged: this.acknowledged,
      latency: this.latency,
      errors: { ...this.errors },
      retries: this.retries,
    };
  }

  /**
   * Stops issuing commands and waits up to `drainMs` for those in flight; returns how many were
   * still unsettled then (stopping the cluster rejects them, and the slots swallow that).
   */
  async stop(drainMs: number): Promise<number> {
    this.stopped = true;
    let unsettled = this.workers.length;
    const settled = Promise.all(this.workers.map((worker) => worker.then(() => unsettled--)));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)));
    await Promise.race([settled, timeout]);
    clearTimeout(timer);
    return unsettled;
  }

  private async slot(groupIndex: number): Promise<void> {
    while (!this.stopped) {
      const startedMs = performance.now();
      const acknowledged = await this.proposeAtLeader(groupIndex, this.nextCommand());
      if (!acknowledged) {
        // A rejection can come back at once (a stopped node): yield to timers and I/O rather
        // than spin on microtasks.
        await sleep(RETRY_PAUSE_MS);
      } else if (this.recording) {
        this.acknowledged++;
        this.latency.record(performance.now() - startedMs);
      }
    }
  }

  /** Proposes until the current leader acknowledges; false when the command was given up. */
  private async proposeAtLeader(groupIndex: number, command: Uint8Array): Promise<boolean> {
    let target = this.cluster.leaders.leaderOf(groupIndex);
    for (let attempt = 0; attempt < ATTEMPTS_PER_COMMAND_MAX && !this.stopped; attempt++) {
      if (target === undefined) {
        await sleep(RETRY_PAUSE_MS);
        target = this.cluster.leaders.leaderOf(groupIndex);
        continue;
      }
      try {
        await this.cluster.groupOn(target, groupIndex).propose(command);
        return true;
      } catch (error: unknown) {
        this.count(error);
        if (isNotLeaderError(error)) {
          const hinted = this.cluster.nodeIndexOf(error.leaderHint);
          const current = this.cluster.leaders.leaderOf(groupIndex);
          const next = hinted !== undefined && hinted !== target ? hinted : current;
          if (next === undefined || next === target) await sleep(RETRY_PAUSE_MS);
          target = next ?? this.cluster.leaders.leaderOf(groupIndex);
        } else if (isOverloadedError(error)) {
          await sleep(RETRY_PAUSE_MS);
        } else {
          // Timeout, outcome unknown, dropped, stopped: the command may or may not apply;
          // a closed-loop client moves on to its next command.
          return false;
        }
        if (this.recording) this.retries++;
      }
    }
    return false;
  }

  private nextCommand(): Uint8Array {
    const command = new Uint8Array(this.commandBytes);
    // A distinct command each time (its sequence number first), the rest a fixed filler.
    command.fill(0x61);
    new DataView(command.buffer).setFloat64(0, ++this.commandsIssued);
    return command;
  }

  private count(error: unknown): void {
    if (!this.recording) return;
    const key = isFlotillaError(error)
      ? error.code
      : error instanceof Error
        ? error.name
        : "unknown";
    this.errors[key] = (this.errors[key] ?? 0) + 1;
  }
}
