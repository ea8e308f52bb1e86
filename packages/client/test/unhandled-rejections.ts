/**
 * Collects the process's unhandled rejections while a test runs, so a test can show that none
 * escaped (Node ends an application on one by default). `settle` lets the event loop turn a few
 * times first: Node reports an unhandled rejection once the microtasks of a turn have drained.
 */
export class UnhandledRejections {
  readonly seen: unknown[] = [];
  private readonly listener = (reason: unknown): void => {
    this.seen.push(reason);
  };

  constructor() {
    process.on("unhandledRejection", this.listener);
  }

  /** Lets `turns` event-loop turns pass (no timer: each is one `setImmediate`). */
  async settle(turns = 5): Promise<void> {
    for (let turn = 0; turn < turns; turn++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Stops collecting. */
  stop(): void {
    process.off("unhandledRejection", this.listener);
  }
}
