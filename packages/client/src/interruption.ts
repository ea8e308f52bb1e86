/**
 * What ends a remote call early: its client closing (→ `ClosedConnectionError`) or its
 * caller's `AbortSignal` (→ the signal's reason). A call races each request and each backoff
 * against it, and disposes of it when it settles, so that no listener on the signal or the
 * client and no backoff timer outlives the call.
 */
import type { AbortFanOut } from "./abort-fan-out.js";
import { closedConnectionError, type ClientLifecycle } from "./client-lifecycle.js";

/** The interruption of one call. Dispose of it when the call settles. */
export class Interruption {
  private reason: { readonly error: Error } | undefined;
  private readonly onInterrupt = new Set<(error: Error) => void>();
  private readonly releases: (() => void)[] = [];

  /**
   * @param aborts when given, calls sharing a signal share one listener on it through this
   *   fan-out (many concurrent calls on one signal would otherwise each add one).
   */
  constructor(lifecycle: ClientLifecycle, signal?: AbortSignal, aborts?: AbortFanOut) {
    this.releases.push(lifecycle.onClose(() => this.interrupt(closedConnectionError())));
    if (signal === undefined) return;
    if (signal.aborted) {
      this.interrupt(signal.reason);
      return;
    }
    const onAbort = (): void => this.interrupt(signal.reason);
    if (aborts !== undefined) {
      this.releases.push(aborts.add(signal, onAbort));
      return;
    }
    signal.addEventListener("abort", onAbort, { once: true });
    this.releases.push(() => signal.removeEventListener("abort", onAbort));
  }

  /** True once the client closed or the signal aborted. */
  get interrupted(): boolean {
    return this.reason !== undefined;
  }

  /** Throws why the call was interrupted, if it was. */
  throwIfInterrupted(): void {
    if (this.reason !== undefined) throw this.reason.error;
  }

  /**
   * `work`, or a rejection with the interruption's reason as soon as it comes. `work` keeps
   * its handler either way, so its later rejection is never unhandled.
   */
  race<T>(work: Promise<T>): Promise<T> {
    if (this.reason !== undefined) {
      work.catch(() => undefined);
      return Promise.reject(this.reason.error);
    }
    let interrupted: (error: Error) => void = () => undefined;
    const interruption = new Promise<never>((_, reject) => {
      interrupted = reject;
    });
    this.onInterrupt.add(interrupted);
    return Promise.race([work, interruption]).finally(() => this.onInterrupt.delete(interrupted));
  }

  /** Waits `ms`, or rejects at the interruption (the timer cleared). */
  sleep(ms: number): Promise<void> {
    if (this.reason !== undefined) return Promise.reject(this.reason.error);
    return new Promise<void>((resolve, reject) => {
      const interrupted = (error: Error): void => {
        clearTimeout(timer);
        reject(error);
      };
      const timer = setTimeout(() => {
        this.onInterrupt.delete(interrupted);
        resolve();
      }, ms);
      this.onInterrupt.add(interrupted);
    });
  }

  /** Releases the listeners on the client and the signal. Idempotent. */
  dispose(): void {
    for (const release of this.releases.splice(0)) release();
  }

  private interrupt(reason: unknown): void {
    if (this.reason !== undefined) return;
    // A signal may abort with anything; callers get an Error, as from `propose`.
    const error = reason instanceof Error ? reason : new Error(String(reason));
    this.reason = { error };
    this.dispose();
    const waiting = [...this.onInterrupt];
    this.onInterrupt.clear();
    for (const interrupted of waiting) interrupted(error);
  }
}
