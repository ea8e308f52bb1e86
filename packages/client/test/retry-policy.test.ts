/**
 * When a client retries (retry-policy.ts): after the error codes that mean "certainly not
 * applied" or "applies once anyway", after NATS failures an election explains, never after a
 * final answer or a closed connection; backoff grows with jitter and is capped.
 */
import { describe, expect, it } from "vitest";
import { errors as natsErrors } from "@nats-io/transport-node";
import { ErrorCode } from "@flotilla/runtime";
import { backoffMs, isRetriableCode, isRetriableNatsError } from "../src/retry-policy.js";

const retriable = [
  ErrorCode.NotLeader,
  ErrorCode.Overloaded,
  ErrorCode.ProposalDropped,
  ErrorCode.ProposalOutcomeUnknown,
  ErrorCode.ProposalTimeout,
  ErrorCode.Stopped,
];
const final = [
  ErrorCode.CommandFailed,
  ErrorCode.BadRequest,
  ErrorCode.TooLarge,
  ErrorCode.GroupNotFound,
  ErrorCode.InvalidId,
  ErrorCode.SubscriberLag,
  ErrorCode.MembershipChangeRefused,
  // Storage errors fail-stop their node; clients meet them only through a node's reply.
  ErrorCode.StorageFull,
  ErrorCode.StorageCorruption,
  ErrorCode.StorageFormatVersion,
  ErrorCode.StorageClosed,
  ErrorCode.StorageWriteFailed,
];

describe("isRetriableCode", () => {
  for (const code of retriable) {
    it(`retries ${code}`, () => {
      expect(isRetriableCode(code)).toBe(true);
    });
  }
  for (const code of final) {
    it(`does not retry ${code}`, () => {
      expect(isRetriableCode(code)).toBe(false);
    });
  }

  it("does not retry an unknown code", () => {
    expect(isRetriableCode("FROM_THE_FUTURE")).toBe(false);
  });

  it("classifies every runtime code", () => {
    expect([...retriable, ...final].sort()).toEqual(Object.values(ErrorCode).sort());
  });
});

describe("isRetriableNatsError", () => {
  it("retries no responders (an election is under way)", () => {
    expect(isRetriableNatsError(new natsErrors.NoRespondersError("s"))).toBe(true);
  });

  it("retries a request error, as nats.js wraps no responders", () => {
    const cause = new natsErrors.NoRespondersError("s");
    expect(isRetriableNatsError(new natsErrors.RequestError("no responders", { cause }))).toBe(
      true,
    );
  });

  it("retries a timeout", () => {
    expect(isRetriableNatsError(new natsErrors.TimeoutError())).toBe(true);
  });

  it("retries a connection error (reconnecting)", () => {
    expect(isRetriableNatsError(new natsErrors.ConnectionError("reconnecting"))).toBe(true);
  });

  it("does not retry on a closed or draining connection", () => {
    expect(isRetriableNatsError(new natsErrors.ClosedConnectionError())).toBe(false);
    expect(isRetriableNatsError(new natsErrors.DrainingConnectionError())).toBe(false);
  });

  it("does not retry other errors", () => {
    expect(isRetriableNatsError(new Error("boom"))).toBe(false);
    expect(isRetriableNatsError("boom")).toBe(false);
  });
});

describe("backoffMs", () => {
  it("waits between 0 and base × 2^attempt", () => {
    for (let i = 0; i < 200; i++) {
      const wait = backoffMs(3, 10, 10_000);
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(wait).toBeLessThan(80);
    }
  });

  it("is capped at maxMs however many attempts", () => {
    for (let i = 0; i < 200; i++) expect(backoffMs(1000, 10, 500)).toBeLessThanOrEqual(500);
  });
});
