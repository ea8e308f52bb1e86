/**
 * A microservice's core: it follows the committed streams of many groups over NATS with
 * `FlotillaClient`, applies each entry to its read model, and persists the model together with
 * the last applied index per group in one atomically replaced file. After any stop — a SIGKILL
 * included — it resumes each group from the saved index + 1: nothing applied twice, nothing
 * skipped, like an etcd watch resumed from a revision.
 */
import { defer, merge, type Subscription } from "rxjs";
import { map, retry } from "rxjs/operators";
import type { FlotillaClient } from "@flotilla/client";
import {
  applyEvent,
  emptyModel,
  groupModel,
  parseModel,
  type SavedModel,
} from "./ledger-read-model.js";
import type { StateFile } from "./state-file.js";

/** Resubscriptions of one group in a row (after a `SubscriberLagError`, say) before giving up. */
const RESUBSCRIBES_MAX = 20;
const RESUBSCRIBE_DELAY_MS = 200;

/** How {@link LedgerSubscriber.start} runs. */
export interface LedgerSubscriberOptions {
  readonly client: FlotillaClient;
  readonly groupIds: readonly string[];
  readonly stateFile: StateFile;
  /** Longest time between applying an entry and persisting it (default 20 ms). */
  readonly flushIntervalMs?: number;
  /** Called once if following ends for good (retries exhausted, a failed write). */
  readonly onFailure?: (error: unknown) => void;
}

/**
 * Follows `groupIds` into a read model persisted in `stateFile`.
 *
 * @example
 * const subscriber = await LedgerSubscriber.start({
 *   client, groupIds: ["ledger-0", "ledger-1"], stateFile: new StateFile("ledger.json"),
 * });
 * // … on SIGTERM:
 * await subscriber.stop();
 */
export class LedgerSubscriber {
  /** Each group's first index asked for at start: the saved last index + 1. */
  readonly resumedFrom: Readonly<Record<string, number>>;
  private subscription: Subscription | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private dirty = false;

  private constructor(
    readonly model: SavedModel,
    private readonly options: LedgerSubscriberOptions,
  ) {
    this.resumedFrom = Object.fromEntries(
      options.groupIds.map((groupId) => [groupId, groupModel(model, groupId).lastIndex + 1]),
    );
  }

  /** Loads the saved model (if any) and starts following every group from where it left off. */
  static async start(options: LedgerSubscriberOptions): Promise<LedgerSubscriber> {
    const saved = await options.stateFile.read();
    const model = saved === undefined ? emptyModel() : parseModel(saved);
    const subscriber = new LedgerSubscriber(model, options);
    subscriber.follow();
    return subscriber;
  }

  private follow(): void {
    const { client, groupIds } = this.options;
    const streams = groupIds.map((groupId) =>
      // defer: each (re)subscription starts from the model's current last index + 1.
      defer(() => client.group(groupId).committed$({ fromIndex: this.nextIndex(groupId) })).pipe(
        retry({ count: RESUBSCRIBES_MAX, delay: RESUBSCRIBE_DELAY_MS, resetOnSuccess: true }),
        map((event) => ({ groupId, event })),
      ),
    );
    this.subscription = merge(...streams).subscribe({
      next: ({ groupId, event }) => {
        applyEvent(this.model, groupId, event);
        this.dirty = true;
        this.flushTimer ??= setTimeout(() => {
          this.flushTimer = undefined;
          this.flush().catch((error: unknown) => this.fail(error));
        }, this.options.flushIntervalMs ?? 20);
      },
      error: (error: unknown) => this.fail(error),
    });
  }

  /** The first index of `groupId` not applied yet. */
  nextIndex(groupId: string): number {
    return groupModel(this.model, groupId).lastIndex + 1;
  }

  /** Persists the model and last indexes if anything was applied since the last write. */
  async flush(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    // Serialized now, in one synchronous step: the model and its indexes agree.
    await this.options.stateFile.write(JSON.stringify(this.model));
  }

  /** Stops following and persists what was applied. */
  async stop(): Promise<void> {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    await this.flush();
    await this.options.stateFile.settled();
  }

  private fail(error: unknown): void {
    this.subscription?.unsubscribe();
    this.options.onFailure?.(error);
  }
}
