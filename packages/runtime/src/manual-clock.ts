/**
 * A clock that moves only when told to: tests advance it explicitly, so nothing depends on how
 * fast the machine is. Timers fire synchronously inside {@link ManualClock.advance}, in due order.
 */
import type { Clock, TimerHandle } from "./clock.js";

interface ManualTimer {
  readonly callback: () => void;
  readonly intervalMs: number;
  dueMs: number;
  cancelled: boolean;
}

/**
 * A {@link Clock} for deterministic tests.
 *
 * @example
 * const clock = new ManualClock();
 * let ticks = 0;
 * clock.setInterval(() => ticks++, 100);
 * clock.advance(250); // ticks === 2
 */
export class ManualClock implements Clock {
  private nowMs: number;
  private readonly timers: ManualTimer[] = [];

  constructor(startMs = 0) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setInterval(callback: () => void, intervalMs: number): TimerHandle {
    if (!(intervalMs > 0)) throw new RangeError("intervalMs must be > 0");
    const timer: ManualTimer = {
      callback,
      intervalMs,
      dueMs: this.nowMs + intervalMs,
      cancelled: false,
    };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
        const at = this.timers.indexOf(timer);
        if (at >= 0) this.timers.splice(at, 1);
      },
    };
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError("ms must be >= 0");
    const targetMs = this.nowMs + ms;
    // Bounded: each iteration fires one timer period, and every period is > 0.
    for (;;) {
      let next: ManualTimer | undefined;
      for (const timer of this.timers) {
        if (timer.dueMs <= targetMs && (next === undefined || timer.dueMs < next.dueMs)) {
          next = timer;
        }
      }
      if (next === undefined) break;
      this.nowMs = next.dueMs;
      next.dueMs += next.intervalMs;
      next.callback();
    }
    this.nowMs = targetMs;
  }

  /** How many timers are running (a stopped node leaves none). */
  timerCount(): number {
    return this.timers.length;
  }
}
