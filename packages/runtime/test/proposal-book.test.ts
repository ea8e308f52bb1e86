import { describe, expect, it } from "vitest";
import { ProposalBook } from "../src/proposal-book.js";
import { Pending } from "../src/pending.js";
import { isProposalDroppedError, isProposalOutcomeUnknownError } from "../src/index.js";

function outcome<T>(pending: Pending<T>): { value?: T; error?: unknown } {
  const record: { value?: T; error?: unknown } = {};
  pending.promise.then(
    (value) => (record.value = value),
    (error: unknown) => (record.error = error),
  );
  return record;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("ProposalBook", () => {
  it("keeps two proposals of different terms at one index; the applied term's gets the result, the other is dropped", async () => {
    const book = new ProposalBook("g");
    const deposed = new Pending<unknown>(0, 10_000);
    const current = new Pending<unknown>(0, 10_000);
    book.accepted(deposed, 5, 3);
    book.leadershipLost(0, 1_000);
    book.accepted(current, 5, 4);
    expect(book.size).toBe(2);
    const first = outcome(deposed);
    const second = outcome(current);

    book.applied(5, 4, { ok: true, result: "r" });
    await settle();

    expect(isProposalDroppedError(first.error)).toBe(true);
    expect(second.value).toBe("r");
    expect(book.size).toBe(0);
  });

  it("expires a deposed proposal as unknown even when a newer one waits at its index", async () => {
    const book = new ProposalBook("g");
    const deposed = new Pending<unknown>(0, 10_000);
    book.accepted(deposed, 7, 2);
    book.leadershipLost(0, 100);
    book.accepted(new Pending<unknown>(0, 10_000), 7, 3);
    const first = outcome(deposed);

    book.expire(200);
    await settle();

    expect(isProposalOutcomeUnknownError(first.error)).toBe(true);
    expect(book.size).toBe(1);
  });
});
