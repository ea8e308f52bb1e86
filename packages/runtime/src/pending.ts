/**
 * A future the runtime settles exactly once: a proposal or a read waiting for its outcome. The
 * first settlement wins; later ones are ignored, so a timeout racing an apply cannot resolve a
 * caller twice.
 */

/** A promise with its settle functions, a deadline and cleanup hooks. */
export class Pending<T> {
  readonly promise: Promise<T>;
  private settleResolve!: (value: T) => void;
  private settleReject!: (error: unknown) => void;
  private done = false;
  private readonly cleanups: (() => void)[] = [];

  /** Clock time (ms) after which the runtime rejects it with a timeout error. */
  readonly deadlineMs: number;

  constructor(
    startMs: number,
    /** How long it may wait, from `startMs`. */
    readonly timeoutMs: number,
  ) {
    this.deadlineMs = startMs + timeoutMs;
    this.promise = new Promise<T>((resolve, reject) => {
      this.settleResolve = resolve;
      this.settleReject = reject;
    });
  }

  /** True once resolved or rejected. */
  get settled(): boolean {
    return this.done;
  }

  /** Runs `cleanup` once, when this settles (at once if it already has). */
  onSettled(cleanup: () => void): void {
    if (this.done) cleanup();
    else this.cleanups.push(cleanup);
  }

  /** Resolves with `value` unless already settled. */
  resolve(value: T): void {
    if (this.finish()) this.settleResolve(value);
  }

  /** Rejects with `error` unless already settled. */
  reject(error: unknown): void {
    if (this.finish()) this.settleReject(error);
  }

  private finish(): boolean {
    if (this.done) return false;
    this.done = true;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    return true;
  }
}
