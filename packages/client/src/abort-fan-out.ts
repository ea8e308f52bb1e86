/**
 * One `abort` listener per signal, however many calls share it: a client's callers often pass
 * one signal to thousands of proposals, and a listener each would trip Node's
 * MaxListenersExceededWarning and hold every call's closure until the signal is collected.
 * Each call removes itself when it settles; the listener goes with the last call.
 */

/** Fans one signal's `abort` event out to the calls that registered on it. */
export class AbortFanOut {
  private readonly watched = new Map<
    AbortSignal,
    { readonly calls: Set<() => void>; readonly listener: () => void }
  >();

  /**
   * Calls `onAbort` when `signal` aborts (the caller checks `signal.aborted` first). Returns the
   * release to call when the call settles; after it, nothing references `onAbort`.
   */
  add(signal: AbortSignal, onAbort: () => void): () => void {
    let entry = this.watched.get(signal);
    if (entry === undefined) {
      const calls = new Set<() => void>();
      const listener = (): void => {
        this.watched.delete(signal);
        for (const call of [...calls]) call();
        calls.clear();
      };
      entry = { calls, listener };
      this.watched.set(signal, entry);
      signal.addEventListener("abort", listener, { once: true });
    }
    const { calls, listener } = entry;
    calls.add(onAbort);
    return () => {
      if (!calls.delete(onAbort) || calls.size > 0) return;
      if (this.watched.get(signal)?.calls === calls) this.watched.delete(signal);
      signal.removeEventListener("abort", listener);
    };
  }

  /** The signals watched now (tests check that settled calls left none). */
  get signalCount(): number {
    return this.watched.size;
  }
}
