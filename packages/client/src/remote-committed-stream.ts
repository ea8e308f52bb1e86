/**
 * `committed$({ fromIndex })` for a remote client, with the local contract (DESIGN.md): every
 * committed application entry from `fromIndex`, in order, once each — a snapshot event first
 * when the log is compacted past `fromIndex` — then live, across leader changes and
 * reconnections.
 *
 * How: subscribe to the live subject first and hold what arrives; page through history with
 * `entries` requests (answered by the leader) until the cursor reaches what the live messages
 * cover; then follow live. Every message says which range (after, through] it covers, so a lost
 * or missed message shows as a gap (`after` beyond the cursor) and is filled from history, and
 * overlaps (a new leader republishing) are skipped by index. Requests meeting no leader retry
 * with backoff for as long as the subscription lives. The stream errors with
 * `ClosedConnectionError` when its client closes or its NATS subscription ends underneath it
 * (the connection closed), whether catching up or following live.
 */
import { Observable } from "rxjs";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { SubscriberLagError, type CommittedEvent } from "@flotilla/runtime";
import {
  CLIENT_PROTOCOL_VERSION,
  committedRange,
  decodeReply,
  decodeWire,
  encodeWire,
  wireError,
  type CommittedRange,
} from "./client-wire.js";
import { closedConnectionError, type ClientLifecycle } from "./client-lifecycle.js";
import { Interruption } from "./interruption.js";
import { backoffMs, isRetriableCode, isRetriableNatsError } from "./retry-policy.js";
import { errorFromWire } from "./wire-errors.js";

/** Options of a remote committed stream. */
export interface RemoteCommittedOptions {
  /** The first index wanted (default 1). */
  readonly fromIndex?: number;
  /** Live messages held while catching up, at most; past it → `SubscriberLagError`. */
  readonly bufferMax?: number;
  /** Bytes of entries per history page requested. */
  readonly pageBytes?: number;
}

/** Where the stream's traffic goes. */
export interface CommittedSubjects {
  readonly live: string;
  readonly entries: string;
}

/** A cold Observable: each subscription follows the group from `fromIndex`. */
export function remoteCommitted$(
  nc: NatsConnection,
  groupId: string,
  subjects: CommittedSubjects,
  options: RemoteCommittedOptions,
  attemptTimeoutMs: number,
  lifecycle: ClientLifecycle,
): Observable<CommittedEvent> {
  return new Observable<CommittedEvent>((subscriber) => {
    if (lifecycle.closed) {
      subscriber.error(closedConnectionError());
      return undefined;
    }
    // Ends the requests and backoffs of this subscription at teardown (and at close).
    const teardown = new AbortController();
    const interruption = new Interruption(lifecycle, teardown.signal);
    let cursor = Math.max(1, options.fromIndex ?? 1) - 1;
    const held: CommittedRange[] = [];
    const bufferMax = options.bufferMax ?? 8192;
    let fetching = false;
    let closed = false;

    const emitRange = (range: CommittedRange): void => {
      for (const event of range.events) {
        if (closed) return;
        if (event.type === "snapshot") {
          if (event.index > cursor) subscriber.next({ ...event, type: "snapshot" });
        } else if (event.index > cursor) {
          subscriber.next({ ...event, type: "entry" });
        }
      }
      cursor = Math.max(cursor, range.through);
    };

    /** Emits what is held while it joins the cursor; returns false on a gap. */
    const drainHeld = (): boolean => {
      held.sort((a, b) => a.after - b.after);
      while (held.length > 0) {
        const next = held[0];
        if (next === undefined) break;
        if (next.through <= cursor) {
          held.shift();
          continue;
        }
        if (next.after > cursor) return false;
        held.shift();
        emitRange(next);
      }
      return true;
    };

    /** One history page from the cursor, or undefined after a failure worth retrying. */
    const requestPage = async (): Promise<CommittedRange | undefined> => {
      try {
        const message = await interruption.race(
          nc.request(
            subjects.entries,
            encodeWire({
              v: CLIENT_PROTOCOL_VERSION,
              fromIndex: cursor + 1,
              maxBytes: options.pageBytes ?? 256 * 1024,
            }),
            { timeout: attemptTimeoutMs },
          ),
        );
        const reply = decodeReply(message.data);
        if (reply["ok"] === true) return committedRange(reply["result"]);
        const error = wireError(reply["error"]);
        if (isRetriableCode(error.code)) return undefined;
        throw errorFromWire({ groupId, ...error });
      } catch (error) {
        interruption.throwIfInterrupted();
        if (isRetriableNatsError(error)) return undefined;
        throw error;
      }
    };

    /** Pages through history until the live messages held join the cursor. */
    const catchUp = async (): Promise<void> => {
      let attempt = 0;
      while (!closed) {
        const page = await requestPage();
        if (page === undefined) {
          await interruption.sleep(backoffMs(attempt++, 20, 1000));
          continue;
        }
        const progressed = page.through > cursor;
        emitRange(page);
        const joined = drainHeld();
        if (progressed) {
          attempt = 0;
        } else if (joined) {
          return; // as far as the leader has applied, and live messages continue from here
        } else {
          // The answering leader has not applied what was published yet: ask again shortly.
          await interruption.sleep(backoffMs(attempt++, 20, 1000));
        }
      }
    };

    const start = (): void => {
      if (fetching || closed) return;
      fetching = true;
      catchUp().then(
        () => {
          fetching = false;
          if (!closed && !drainHeld()) start();
        },
        (error: unknown) => {
          fetching = false;
          fail(error);
        },
      );
    };

    /** Ends the stream for good with `error` (once; later causes are ignored). */
    const fail = (error: unknown): void => {
      if (closed) return;
      closed = true;
      subscriber.error(error);
    };
    const releaseClose = lifecycle.onClose(() => fail(closedConnectionError()));

    let live: Subscription | undefined;
    try {
      live = nc.subscribe(subjects.live, {
        callback: (error, msg) => {
          if (error !== null || closed) return;
          let range: CommittedRange;
          try {
            const message = decodeWire(msg.data) as Record<string, unknown>;
            if (message["v"] !== CLIENT_PROTOCOL_VERSION) return;
            range = committedRange(message);
          } catch {
            return; // not ours to judge: a bad message is a gap, filled from history
          }
          held.push(range);
          if (held.length > bufferMax) {
            fail(new SubscriberLagError(groupId, cursor));
            return;
          }
          if (!fetching && !drainHeld()) start();
        },
      });
    } catch (error) {
      releaseClose();
      interruption.dispose();
      fail(error);
      return undefined;
    }
    // The subscription ends without our asking only when the connection closes (or the server
    // refuses it): a stream following live would otherwise wait forever.
    live.closed.then(
      (error) => fail(error ?? closedConnectionError()),
      (error: unknown) => fail(error),
    );
    start();
    return () => {
      closed = true;
      releaseClose();
      teardown.abort();
      interruption.dispose();
      live?.unsubscribe();
    };
  });
}
