/**
 * A client's session numbering (session-sequence.ts): numbers from 1, and the `respondedTo`
 * watermark — every number at or below it is answered — which only rises, and only past
 * numbers whose answers all came back, however out of order.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SessionSequence } from "../src/session-sequence.js";

describe("SessionSequence", () => {
  it("numbers proposals from 1, one apart", () => {
    const sequence = new SessionSequence();
    expect([sequence.next(), sequence.next(), sequence.next()]).toEqual([1, 2, 3]);
  });

  it("starts with respondedTo 0", () => {
    expect(new SessionSequence().respondedTo).toBe(0);
  });

  it("holds respondedTo below an unanswered number when later ones are answered", () => {
    const sequence = new SessionSequence();
    const [a, b, c] = [sequence.next(), sequence.next(), sequence.next()];
    sequence.answered(c);
    sequence.answered(b);
    expect(sequence.respondedTo).toBe(0);
    sequence.answered(a);
    expect(sequence.respondedTo).toBe(3);
  });

  it("raises respondedTo up to the first gap", () => {
    const sequence = new SessionSequence();
    const numbers = [1, 2, 3, 4].map(() => sequence.next());
    sequence.answered(numbers[0]!);
    sequence.answered(numbers[2]!);
    expect(sequence.respondedTo).toBe(1);
  });

  it("does not count a number handed out but not yet answered", () => {
    const sequence = new SessionSequence();
    sequence.answered(sequence.next());
    sequence.next();
    expect(sequence.respondedTo).toBe(1);
  });

  it("ignores a second answer to the same number", () => {
    const sequence = new SessionSequence();
    const a = sequence.next();
    sequence.next();
    sequence.answered(a);
    sequence.answered(a);
    expect(sequence.respondedTo).toBe(1);
  });

  it("equals the longest answered prefix, for any answer order", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 30 })
          .chain((n) =>
            fc.tuple(fc.constant(n), fc.shuffledSubarray([...Array(n).keys()].map((i) => i + 1))),
          ),
        ([n, answers]) => {
          const sequence = new SessionSequence();
          for (let i = 0; i < n; i++) sequence.next();
          const answered = new Set<number>();
          let previous = 0;
          for (const number of answers) {
            sequence.answered(number);
            answered.add(number);
            let prefix = 0;
            while (answered.has(prefix + 1)) prefix++;
            expect(sequence.respondedTo).toBe(prefix);
            expect(sequence.respondedTo).toBeGreaterThanOrEqual(previous);
            previous = sequence.respondedTo;
          }
        },
      ),
    );
  });
});
