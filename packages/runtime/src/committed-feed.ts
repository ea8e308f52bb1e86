/**
 * The committed-entry streams of one replica (`committed$`). Each subscriber first catches up
 * from the log in storage (or from the snapshot, when its index lies below the compacted log),
 * then follows live entries as the round applies them. Every application entry with
 * `index >= fromIndex` is emitted once, in index order, after the local state machine applied
 * it; a subscriber whose undelivered events pass the bound errors with `SubscriberLagError`.
 */
import { Observable, type Subscriber } from "rxjs";
import type { RaftStorage, Snapshot } from "@flotilla/raft";
import { SubscriberLagError } from "./errors/errors.js";
import { commandBytes } from "./sessions/command-envelope.js";
import { decodeSnapshot } from "./sessions/snapshot-envelope.js";
import type { AppliedEntry } from "./state-machine.js";

/** An event of `committed$`. */
export type CommittedEvent =
  /** A committed application entry (Raft's no-op and configuration entries are skipped). */
  | {
      readonly type: "entry";
      readonly index: number;
      readonly term: number;
      readonly data: Uint8Array;
    }
  /** The state at `index` (the log below it was compacted); entries continue after `index`. */
  | {
      readonly type: "snapshot";
      readonly index: number;
      readonly term: number;
      readonly data: Uint8Array;
    };

/** Options of `committed$`. */
export interface CommittedOptions {
  /** The first index wanted (default 1). */
  readonly fromIndex?: number;
}

/** What the feed reads from its replica. */
export interface FeedSource {
  readonly groupId: string;
  readonly storage: RaftStorage;
  /** The last index the local state machine applied. */
  appliedIndex(): number;
  /**
   * The last index this replica's storage is known to hold (`Raft.storedIndex`). Since ADR 0009
   * the applied index may run ahead of it while the round's write is in flight.
   */
  storedIndex(): number;
}

/** How long a catch-up waits for the round's write when applied runs ahead of storage. */
const STORAGE_WAIT_MS = 1;

/** Entries read from storage per catch-up page; more pages follow on later macrotasks. */
const CATCH_UP_PAGE_ENTRIES = 256;
const CATCH_UP_PAGE_BYTES = 4 * 1024 * 1024;

class FeedSubscriber {
  /** The next index this subscriber wants. */
  nextIndex: number;
  /** Catching up reads storage; live takes entries offered by the round. */
  live = false;
  private queue: CommittedEvent[] = [];
  private lastDelivered = 0;
  closed = false;

  constructor(
    private readonly feed: CommittedFeed,
    private readonly subscriber: Subscriber<CommittedEvent>,
    fromIndex: number,
  ) {
    this.nextIndex = Math.max(1, fromIndex);
    this.lastDelivered = this.nextIndex - 1;
  }

  /**
   * Emits up to one page from storage; continues later or turns live once caught up. It reads
   * no further than what storage holds ("Serve only what you hold"): entries applied while the
   * round's write of them is in flight wait for that write, and so does a snapshot stored but not
   * yet restored.
   */
  catchUp(): void {
    if (this.closed) return;
    const { storage } = this.feed.source;
    const applied = this.feed.source.appliedIndex();
    const readable = Math.min(applied, this.feed.source.storedIndex());
    if (this.nextIndex < storage.firstIndex()) {
      const snapshot = storage.snapshot();
      if (snapshot.metadata.index > readable) {
        setTimeout(() => this.catchUp(), STORAGE_WAIT_MS);
        return;
      }
      this.emitSnapshot(snapshot);
    }
    if (this.nextIndex <= readable) {
      const toIndex = Math.min(readable + 1, this.nextIndex + CATCH_UP_PAGE_ENTRIES);
      for (const entry of storage.entries(this.nextIndex, toIndex, CATCH_UP_PAGE_BYTES)) {
        if (entry.type === "normal") {
          // From the log: the entry is still framed (sessions/command-envelope.ts).
          this.deliver(entryEvent({ ...entry, data: commandBytes(entry.data) }));
        }
        this.nextIndex = entry.index + 1;
      }
    }
    if (this.nextIndex > this.feed.source.appliedIndex()) {
      this.live = true;
      return;
    }
    if (this.nextIndex > readable) setTimeout(() => this.catchUp(), STORAGE_WAIT_MS);
    else setImmediate(() => this.catchUp());
  }

  offer(event: CommittedEvent): void {
    if (!this.live || this.closed || event.index < this.nextIndex) return;
    this.nextIndex = event.index + 1;
    this.queue.push(event);
    if (this.queue.length > this.feed.bufferMax) {
      this.fail(new SubscriberLagError(this.feed.source.groupId, this.lastDelivered));
    }
  }

  flush(): void {
    const events = this.queue;
    this.queue = [];
    for (const event of events) {
      if (this.closed) return;
      this.deliver(event);
    }
  }

  complete(): void {
    this.flush();
    this.close();
    this.subscriber.complete();
  }

  fail(error: unknown): void {
    this.close();
    this.subscriber.error(error);
  }

  close(): void {
    this.closed = true;
    this.queue = [];
    this.feed.remove(this);
  }

  private emitSnapshot(snapshot: Snapshot): void {
    const { index, term } = snapshot.metadata;
    this.deliver({ type: "snapshot", index, term, data: decodeSnapshot(snapshot.data).state });
    this.nextIndex = index + 1;
  }

  private deliver(event: CommittedEvent): void {
    this.lastDelivered = event.index;
    this.subscriber.next(event);
  }
}

/** Every `committed$` subscriber of one replica. */
export class CommittedFeed {
  private readonly subscribers = new Set<FeedSubscriber>();
  private ended = false;

  constructor(
    readonly source: FeedSource,
    /** Events queued for one subscriber before it errors with `SubscriberLagError`. */
    readonly bufferMax: number,
  ) {}

  /** A cold Observable: each subscription catches up from `fromIndex`, then follows. */
  observable(options: CommittedOptions = {}): Observable<CommittedEvent> {
    return new Observable<CommittedEvent>((subscriber) => {
      if (this.ended) {
        subscriber.complete();
        return undefined;
      }
      const feedSubscriber = new FeedSubscriber(this, subscriber, options.fromIndex ?? 1);
      this.subscribers.add(feedSubscriber);
      feedSubscriber.catchUp();
      return () => feedSubscriber.close();
    });
  }

  /** The state machine applied `entry`; live subscribers get it at the next {@link flush}. */
  applied(entry: AppliedEntry): void {
    const event = entryEvent(entry);
    for (const subscriber of this.subscribers) subscriber.offer(event);
  }

  /** The state machine was restored from `snapshot` (a follower far behind). */
  restored(snapshot: Snapshot): void {
    const { index, term } = snapshot.metadata;
    const event: CommittedEvent = {
      type: "snapshot",
      index,
      term,
      data: decodeSnapshot(snapshot.data).state,
    };
    for (const subscriber of this.subscribers) subscriber.offer(event);
  }

  /** Delivers what the round queued (the "emit on streams" step of a round). */
  flush(): void {
    for (const subscriber of [...this.subscribers]) subscriber.flush();
  }

  /** Completes every subscriber (the node stops); later subscriptions complete at once. */
  complete(): void {
    this.ended = true;
    for (const subscriber of [...this.subscribers]) subscriber.complete();
  }

  remove(subscriber: FeedSubscriber): void {
    this.subscribers.delete(subscriber);
  }
}

function entryEvent(entry: AppliedEntry): CommittedEvent {
  return { type: "entry", index: entry.index, term: entry.term, data: entry.data };
}
