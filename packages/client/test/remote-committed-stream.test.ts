/**
 * A remote committed stream's resources (remote-committed-stream.ts), against a fake
 * connection whose catch-up requests meet no responders, so the stream waits in its backoff:
 * unsubscribing or closing the client clears that backoff's timer and ends the live NATS
 * subscription, and closing errors the stream with `ClosedConnectionError`.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { errors as natsErrors, type NatsConnection } from "@nats-io/transport-node";
import type { CommittedEvent } from "@flotilla/runtime";
import { ClientLifecycle, isClosedConnectionError } from "../src/client-lifecycle.js";
import { remoteCommitted$ } from "../src/remote-committed-stream.js";

/** A connection with `request` (always no responders) and `subscribe` (a fake subscription). */
function fakeConnection() {
  const state = { requests: 0, subscribed: 0, unsubscribed: 0 };
  const connection = {
    request: (subject: string) => {
      state.requests++;
      return Promise.reject(
        new natsErrors.RequestError("no responders", {
          cause: new natsErrors.NoRespondersError(subject),
        }),
      );
    },
    subscribe: () => {
      state.subscribed++;
      let resolveClosed: () => void = () => undefined;
      const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
      return {
        closed,
        unsubscribe: () => {
          state.unsubscribed++;
          resolveClosed();
        },
      };
    },
  } as unknown as NatsConnection;
  return { connection, state };
}

describe("remoteCommitted$ resources", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function subscribe(lifecycle: ClientLifecycle) {
    const { connection, state } = fakeConnection();
    const end: { error?: unknown } = {};
    const seen: CommittedEvent[] = [];
    const subscription = remoteCommitted$(
      connection,
      "g1",
      { live: "flotilla.t.g.g1.committed", entries: "flotilla.t.g.g1.entries" },
      {},
      1000,
      lifecycle,
    ).subscribe({ next: (e) => seen.push(e), error: (e: unknown) => (end.error = e) });
    return { subscription, state, end, seen };
  }

  it("clears its catch-up backoff and ends its live subscription when unsubscribed", async () => {
    const { subscription, state, end } = subscribe(new ClientLifecycle());
    await vi.advanceTimersByTimeAsync(0);
    expect(state.requests).toBe(1);
    expect(vi.getTimerCount()).toBe(1); // the backoff before the next page request
    subscription.unsubscribe();
    expect(vi.getTimerCount()).toBe(0);
    expect(state.unsubscribed).toBe(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(state.requests).toBe(1);
    expect(end.error).toBeUndefined();
  });

  it("errors with ClosedConnectionError when the client closes, leaving no timer", async () => {
    const lifecycle = new ClientLifecycle();
    const { state, end } = subscribe(lifecycle);
    await vi.advanceTimersByTimeAsync(0);
    lifecycle.close();
    expect(isClosedConnectionError(end.error)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(state.unsubscribed).toBe(1);
    expect(lifecycle.listenerCount).toBe(0);
  });

  it("releases its listener on the client when unsubscribed", async () => {
    const lifecycle = new ClientLifecycle();
    const streams = Array.from({ length: 100 }, () => subscribe(lifecycle));
    await vi.advanceTimersByTimeAsync(0);
    expect(lifecycle.listenerCount).toBeGreaterThan(0);
    for (const { subscription } of streams) subscription.unsubscribe();
    expect(lifecycle.listenerCount).toBe(0);
  });

  it("errors at once, subscribing to nothing, when the client is already closed", () => {
    const lifecycle = new ClientLifecycle();
    lifecycle.close();
    const { state, end } = subscribe(lifecycle);
    expect(isClosedConnectionError(end.error)).toBe(true);
    expect(state.subscribed).toBe(0);
  });
});
