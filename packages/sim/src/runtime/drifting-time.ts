/**
 * One simulated node's time: it runs a few percent fast or slow (drift) and keeps running while
 * the node is down. Each host incarnation gets its own {@link ManualClock}, starting at the
 * node's time and advanced by the simulator step by step; a crashed incarnation's clock simply
 * stops, so its timer never fires again.
 */
import { ManualClock } from "@flotilla/runtime";

/** A node's drifting time and the clock of its live incarnation. */
export class DriftingTime {
  private nowMs = 0;
  private owedMs: number;
  private clock: ManualClock | undefined;

  constructor(
    /** Clock milliseconds per simulator step (the drift is in it). */
    readonly msPerStep: number,
    /** Initial phase in ms, so nodes do not tick in lockstep. */
    phaseMs: number,
  ) {
    if (!(msPerStep > 0)) throw new RangeError(`msPerStep must be > 0, got ${msPerStep}`);
    this.owedMs = phaseMs;
  }

  /** A new clock for a new incarnation, starting at the node's time now. */
  newClock(): ManualClock {
    this.clock = new ManualClock(this.nowMs);
    return this.clock;
  }

  /** The live incarnation crashed: its clock never moves again. */
  stopClock(): void {
    this.clock = undefined;
  }

  /** The node's time in ms. */
  now(): number {
    return this.nowMs;
  }

  /**
   * One step passes: whole milliseconds move the live clock (firing its timers synchronously,
   * which only schedules host rounds), fractions carry over.
   */
  step(): void {
    this.owedMs += this.msPerStep;
    const wholeMs = Math.floor(this.owedMs);
    this.owedMs -= wholeMs;
    this.nowMs += wholeMs;
    this.clock?.advance(wholeMs);
  }
}
