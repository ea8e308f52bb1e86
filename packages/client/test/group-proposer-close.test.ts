/**
 * What a proposer leaves behind (group-proposer.ts): closing the client rejects every pending
 * command with `ClosedConnectionError` wherever it waits — proposed this tick (a flush
 * scheduled), in a request, queued behind a full window, or in a retry's backoff — releases
 * every timer, lets no rejection go unhandled, and refuses later proposals at once; and a
 * command's `AbortSignal` listener goes when the command settles, however it settles.
 */
import { getEventListeners } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { errors as natsErrors } from "@nats-io/transport-node";
import { BadRequestError, ProposalTimeoutError } from "@flotilla/runtime";
import { encodeWire } from "../src/client-wire.js";
import { ClientLifecycle, isClosedConnectionError } from "../src/client-lifecycle.js";
import { GroupProposer, type ProposerLimits } from "../src/group-proposer.js";
import { SessionSequence } from "../src/session-sequence.js";
import { FakeNats } from "./fake-nats.js";
import { UnhandledRejections } from "./unhandled-rejections.js";

function setup(overrides: Partial<ProposerLimits> = {}): {
  nats: FakeNats;
  proposer: GroupProposer;
  lifecycle: ClientLifecycle;
} {
  const nats = new FakeNats();
  const lifecycle = new ClientLifecycle();
  const proposer = new GroupProposer(
    nats.connection,
    "flotilla.test.g.g1.propose",
    "g1",
    "c1",
    new SessionSequence(),
    {
      commandsPerRequestMax: 256,
      requestsInFlightMax: 4,
      attemptTimeoutMs: 5000,
      requestBytesMax: () => 1024 * 1024,
      ...overrides,
    },
    lifecycle,
  );
  return { nats, proposer, lifecycle };
}

const command = (n: number): Uint8Array => encodeWire({ n });
const ok = (...results: unknown[]) => ({
  v: 1,
  results: results.map((r) => ({ ok: true, result: r })),
});
/** Every outcome, as a value: a rejection is caught here, so only the proposer can leak one. */
const outcome = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => error,
  );

describe("GroupProposer when the client closes", () => {
  let unhandled: UnhandledRejections;
  beforeEach(() => {
    unhandled = new UnhandledRejections();
  });
  afterEach(() => {
    unhandled.stop();
  });

  /** Closes, then checks every outcome is a ClosedConnectionError and nothing is left. */
  async function expectAllClosed(
    { proposer, lifecycle, nats }: ReturnType<typeof setup>,
    outcomes: Promise<unknown>[],
  ): Promise<void> {
    lifecycle.close();
    // Close rejects synchronously: no timer has to fire first.
    expect(proposer.pendingCount).toBe(0);
    // What a closing connection does to the requests still open, as nats.js does.
    nats.closeConnection();
    const results = await Promise.all(outcomes);
    for (const result of results) expect(isClosedConnectionError(result)).toBe(true);
    await unhandled.settle();
    expect(unhandled.seen).toEqual([]);
    expect(nats.requestsAfterClose).toBe(0);
  }

  it("rejects commands proposed in the tick of the close (their flush still scheduled)", async () => {
    const fixture = setup();
    const outcomes = [1, 2, 3].map((n) => outcome(fixture.proposer.propose(command(n), 5000)));
    await expectAllClosed(fixture, outcomes);
    expect(fixture.nats.received).toHaveLength(0);
  });

  it("rejects commands in flight and queued behind a full request window", async () => {
    const fixture = setup({ commandsPerRequestMax: 2, requestsInFlightMax: 1 });
    const outcomes = [1, 2, 3, 4, 5, 6].map((n) =>
      outcome(fixture.proposer.propose(command(n), 5000)),
    );
    await fixture.nats.receivedCount(1);
    await expectAllClosed(fixture, outcomes);
  });

  it("rejects a command waiting in a retry's backoff, and sends it no more", async () => {
    const fixture = setup();
    const result = outcome(fixture.proposer.propose(command(1), 5000));
    await fixture.nats.receivedCount(1);
    fixture.nats.received[0]!.fail(new natsErrors.RequestError("no responders"));
    await vi.waitFor(() => expect(fixture.nats.open).toHaveLength(0));
    await expectAllClosed(fixture, [result]);
  });

  it("ignores an answer that arrives after the close", async () => {
    const fixture = setup();
    const outcomes = [1, 2].map((n) => outcome(fixture.proposer.propose(command(n), 5000)));
    await fixture.nats.receivedCount(1);
    const inFlight = fixture.nats.received[0]!;
    fixture.lifecycle.close();
    inFlight.answer(ok("late", "late"));
    const results = await Promise.all(outcomes);
    for (const result of results) expect(isClosedConnectionError(result)).toBe(true);
    await unhandled.settle();
    expect(unhandled.seen).toEqual([]);
  });

  it("resolves what was answered before the close and rejects the rest", async () => {
    const fixture = setup({ commandsPerRequestMax: 1 });
    const outcomes = [1, 2].map((n) => outcome(fixture.proposer.propose(command(n), 5000)));
    await fixture.nats.receivedCount(2);
    fixture.nats.received[0]!.answer(ok("first"));
    await expect(outcomes[0]).resolves.toEqual({ value: "first" });
    await expectAllClosed(fixture, [outcomes[1]!]);
  });

  it("rejects at once a proposal made after the close, sending nothing", async () => {
    const fixture = setup();
    fixture.lifecycle.close();
    const error = await outcome(fixture.proposer.propose(command(1), 5000));
    expect(isClosedConnectionError(error)).toBe(true);
    await unhandled.settle();
    expect(fixture.nats.received).toHaveLength(0);
    expect(unhandled.seen).toEqual([]);
  });

  it("releases every timer it armed (deadlines, backoffs, the scheduled flush)", async () => {
    vi.useFakeTimers();
    try {
      const fixture = setup({ requestsInFlightMax: 1, commandsPerRequestMax: 1 });
      const outcomes = [1, 2, 3].map((n) => outcome(fixture.proposer.propose(command(n), 5000)));
      await vi.advanceTimersByTimeAsync(0); // the flush: one request in flight
      fixture.nats.received[0]!.fail(new natsErrors.RequestError("no responders"));
      await vi.advanceTimersByTimeAsync(0); // command 1 in backoff, 2 in flight, 3 queued
      expect(fixture.nats.received).toHaveLength(2);
      expect(vi.getTimerCount()).toBeGreaterThan(0);
      fixture.lifecycle.close();
      expect(vi.getTimerCount()).toBe(0);
      fixture.nats.closeConnection();
      for (const result of await Promise.all(outcomes)) {
        expect(isClosedConnectionError(result)).toBe(true);
      }
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("GroupProposer and the caller's AbortSignal", () => {
  const PROPOSALS = 5000;
  const abortListeners = (signal: AbortSignal): number => getEventListeners(signal, "abort").length;

  it(`holds one listener, and leaves none, on a signal shared by ${PROPOSALS} proposals once they resolve`, async () => {
    const { nats, proposer } = setup();
    const signal = new AbortController().signal;
    const results = Array.from({ length: PROPOSALS }, (_, n) =>
      proposer.propose(command(n), 30_000, signal),
    );
    // One listener for them all while they wait (not 5,000: no MaxListenersExceededWarning).
    expect(abortListeners(signal)).toBe(1);
    // Bounded: each round answers what is open; every command is in some request.
    let answered = 0;
    for (let round = 0; answered < PROPOSALS && round < PROPOSALS; round++) {
      await vi.waitFor(() => expect(nats.open.length).toBeGreaterThan(0), { timeout: 5000 });
      for (const pending of [...nats.open]) {
        pending.answer(ok(...pending.request.commands.map((c) => c.seq)));
        answered += pending.request.commands.length;
      }
    }
    await Promise.all(results);
    expect(abortListeners(signal)).toBe(0);
  });

  it("leaves no listener once proposals reject, time out, or the client closes", async () => {
    const { nats, proposer, lifecycle } = setup({ commandsPerRequestMax: 1 });
    const signal = new AbortController().signal;
    const refused = outcome(proposer.propose(command(1), 30_000, signal));
    const timedOut = outcome(proposer.propose(command(2), 1, signal));
    const closed = outcome(proposer.propose(command(3), 30_000, signal));
    await nats.receivedCount(1);
    nats.received[0]!.answer({ v: 1, error: { code: "BAD_REQUEST", message: "no" } });
    expect(await refused).toBeInstanceOf(BadRequestError);
    expect(await timedOut).toBeInstanceOf(ProposalTimeoutError);
    expect(abortListeners(signal)).toBe(1); // the closed one still waits
    lifecycle.close();
    expect(isClosedConnectionError(await closed)).toBe(true);
    expect(abortListeners(signal)).toBe(0);
  });

  it("leaves no listener on the other commands' signal when one signal aborts", async () => {
    const { nats, proposer } = setup();
    const aborting = new AbortController();
    const kept = new AbortController().signal;
    const aborted = outcome(proposer.propose(command(1), 30_000, aborting.signal));
    const answered = proposer.propose(command(2), 30_000, kept);
    await nats.receivedCount(1);
    aborting.abort(new Error("gave up"));
    expect(((await aborted) as Error).message).toBe("gave up");
    nats.received[0]!.answer(ok("one", "two"));
    await expect(answered).resolves.toBe("two");
    expect(abortListeners(aborting.signal)).toBe(0);
    expect(abortListeners(kept)).toBe(0);
  });

  it("rejects every command sharing a signal when it aborts, and releases it", async () => {
    const { nats, proposer } = setup({ commandsPerRequestMax: 2 });
    const controller = new AbortController();
    const outcomes = [1, 2, 3].map((n) =>
      outcome(proposer.propose(command(n), 30_000, controller.signal)),
    );
    await nats.receivedCount(1);
    controller.abort(new Error("all of them"));
    for (const result of await Promise.all(outcomes)) {
      expect((result as Error).message).toBe("all of them");
    }
    expect(abortListeners(controller.signal)).toBe(0);
    expect(proposer.pendingCount).toBe(0);
  });
});
