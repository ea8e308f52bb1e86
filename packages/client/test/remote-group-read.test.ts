/**
 * `RemoteGroup.read`'s bound (remote-group.ts), on fake timers against a connection where
 * nobody answers: the read rejects with `ProposalTimeoutError` at its deadline — a backoff
 * between attempts never carries it past — and leaves no timer behind.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { errors as natsErrors, type NatsConnection } from "@nats-io/transport-node";
import { ProposalTimeoutError } from "@flotilla/runtime";
import { ClientLifecycle } from "../src/client-lifecycle.js";
import type { GroupProposer } from "../src/group-proposer.js";
import { RemoteGroup } from "../src/remote-group.js";

/** No responders, at once, for every request. */
const nobodyAnswers = {
  request: (subject: string) =>
    Promise.reject(
      new natsErrors.RequestError("no responders", {
        cause: new natsErrors.NoRespondersError(subject),
      }),
    ),
} as unknown as NatsConnection;

describe("RemoteGroup.read", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    // The longest backoff every time (full jitter's ceiling): 10, 20, 40, 80, 160 ms …
    vi.spyOn(Math, "random").mockReturnValue(0.999_999);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it("rejects with ProposalTimeoutError at its deadline, not a backoff after it", async () => {
    const group = new RemoteGroup(
      "g1",
      nobodyAnswers,
      "flotilla.t.g.g1.read",
      undefined as unknown as GroupProposer,
      { timeoutMs: 10_000, attemptTimeoutMs: 1000 },
      { live: "flotilla.t.g.g1.committed", entries: "flotilla.t.g.g1.entries" },
      new ClientLifecycle(),
    );
    let outcome: unknown;
    void group.read({ q: 1 }, { timeoutMs: 100 }).catch((error: unknown) => (outcome = error));
    // Attempts at 0, 10, 30 and 70 ms; the backoff after the last would end at 150 ms.
    await vi.advanceTimersByTimeAsync(100);
    expect(outcome).toBeInstanceOf(ProposalTimeoutError);
    expect(vi.getTimerCount()).toBe(0);
  });
});
