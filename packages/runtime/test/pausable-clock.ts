/**
 * One node's view of a shared {@link ManualClock} that can be paused like a SIGSTOPped process:
 * while paused its reading stands still and its timers do not fire; on resume the reading jumps
 * to the shared time and each timer that fell due fires once (as Node's timers do after
 * SIGCONT), however many periods were missed.
 */
import type { Clock, ManualClock, TimerHandle } from "../src/index.js";

interface PausableTimer {
  readonly callback: () => void;
  missed: boolean;
}

/** A pausable {@link Clock} over a shared manual clock. */
export class PausableClock implements Clock {
  private frozenAtMs: number | undefined;
  private readonly timers = new Set<PausableTimer>();

  constructor(private readonly shared: ManualClock) {}

  now(): number {
    return this.frozenAtMs ?? this.shared.now();
  }

  setInterval(callback: () => void, intervalMs: number): TimerHandle {
    const timer: PausableTimer = { callback, missed: false };
    this.timers.add(timer);
    const inner = this.shared.setInterval(() => {
      if (this.frozenAtMs === undefined) callback();
      else timer.missed = true;
    }, intervalMs);
    return {
      cancel: () => {
        this.timers.delete(timer);
        inner.cancel();
      },
    };
  }

  /** Stops time here: the reading stands still, timers are held back. */
  pause(): void {
    this.frozenAtMs = this.shared.now();
  }

  /** Time jumps to the shared reading; each timer that missed a period fires once. */
  resume(): void {
    this.frozenAtMs = undefined;
    for (const timer of [...this.timers]) {
      if (!timer.missed) continue;
      timer.missed = false;
      timer.callback();
    }
  }
}
