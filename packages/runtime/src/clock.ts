/**
 * Time enters the runtime only through a {@link Clock}, so tests (and the simulator) drive it
 * explicitly. A node uses one repeating timer for everything time-based: Raft ticks and the
 * deadline checks of proposals and reads.
 */

/** A handle to stop a repeating timer. Cancelling twice is harmless. */
export interface TimerHandle {
  cancel(): void;
}

/** The node's source of time. */
export interface Clock {
  /** Milliseconds since an arbitrary origin; never decreases. */
  now(): number;
  /**
   * Calls `callback` every `intervalMs` until cancelled (setInterval-like). A callback that
   * throws does not stop the timer.
   */
  setInterval(callback: () => void, intervalMs: number): TimerHandle;
}

/**
 * The process's clock: `performance.now()` and `setInterval`. Timers are `unref`ed, so a node
 * alone does not keep the process alive; `node.stop()` cancels them anyway.
 *
 * @example
 * const clock = new SystemClock();
 * const timer = clock.setInterval(() => tick(), 100);
 * timer.cancel();
 */
export class SystemClock implements Clock {
  now(): number {
    return performance.now();
  }

  setInterval(callback: () => void, intervalMs: number): TimerHandle {
    const timer = setInterval(callback, intervalMs);
    timer.unref();
    return { cancel: () => clearInterval(timer) };
  }
}
