/**
 * Property tests for the key-value linearizability checker: histories recorded from a real
 * sequential execution always pass, and on small random histories the checker agrees with a
 * brute-force search over every order that respects real time.
 */
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { checkKvHistory } from "../../src/linearizability/kv-history.js";
import type {
  HistoryOperation,
  KvOperation,
  KvOutput,
} from "../../src/linearizability/history-operation.js";
import { applyToMap } from "./support/sequential-kv.js";

function sameOutput(a: KvOutput, b: KvOutput): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Brute force: tries every order of the operations in which nothing goes before an operation
 * that returned before it was called, replaying each on a fresh Map; unknown-outcome writes may
 * be left out, unknown-outcome reads are ignored.
 */
function bruteForceLinearizable(history: readonly HistoryOperation[]): boolean {
  const ops = history.filter((op) => !(op.input.kind === "get" && op.returnTime === undefined));
  const used = ops.map(() => false);
  const completedCount = ops.filter((op) => op.returnTime !== undefined).length;
  const mustPrecede = (a: HistoryOperation, b: HistoryOperation): boolean =>
    a.returnTime !== undefined && a.returnTime < b.callTime;
  const search = (store: Map<string, string>, completedUsed: number): boolean => {
    if (completedUsed === completedCount) return true;
    for (const [index, op] of ops.entries()) {
      if (used[index] === true) continue;
      if (ops.some((other, j) => j !== index && used[j] === false && mustPrecede(other, op)))
        continue;
      const next = new Map(store);
      const output = applyToMap(next, op.input);
      if (op.output !== undefined && !sameOutput(op.output, output)) continue;
      used[index] = true;
      const found = search(next, completedUsed + (op.returnTime === undefined ? 0 : 1));
      used[index] = false;
      if (found) return true;
    }
    return false;
  };
  return search(new Map(), 0);
}

const keys = ["x", "y"] as const;
const values = ["1", "2", "3"] as const;

function arbitraryInput(keyDomain: readonly string[]): fc.Arbitrary<KvOperation> {
  const key = fc.constantFrom(...keyDomain);
  const value = fc.constantFrom(...values);
  const maybeValue = fc.option(value, { nil: undefined });
  return fc.oneof(
    fc.record({ kind: fc.constant("put" as const), key, value }),
    fc.record({ kind: fc.constant("get" as const), key }),
    fc.record({ kind: fc.constant("cas" as const), key, expected: maybeValue, value }),
    fc.record({ kind: fc.constant("delete" as const), key }),
  );
}

const Fate = {
  completed: "completed",
  appliedUnknown: "applied-unknown",
  lostUnknown: "lost-unknown",
} as const;
type Fate = (typeof Fate)[keyof typeof Fate];

/**
 * A history recorded from a sequential execution: operation `i` takes effect at time `10(i+1)`
 * against a Map, and its interval stretches a random distance either side of that instant, so
 * intervals overlap but always contain the real linearization point.
 */
const recordedHistory = fc
  .array(
    fc.record({
      clientId: fc.constantFrom("a", "b", "c"),
      input: arbitraryInput(keys),
      before: fc.nat({ max: 25 }),
      after: fc.nat({ max: 25 }),
      fate: fc.constantFrom<Fate>(
        Fate.completed,
        Fate.completed,
        Fate.completed,
        Fate.appliedUnknown,
        Fate.lostUnknown,
      ),
    }),
    { maxLength: 40 },
  )
  .map((steps) => {
    const store = new Map<string, string>();
    return steps.map((step, index): HistoryOperation => {
      const point = 10 * (index + 1);
      const callTime = point - step.before;
      if (step.fate === Fate.lostUnknown) {
        return {
          clientId: step.clientId,
          input: step.input,
          callTime,
          returnTime: undefined,
          output: undefined,
        };
      }
      const output = applyToMap(store, step.input);
      return step.fate === Fate.appliedUnknown
        ? {
            clientId: step.clientId,
            input: step.input,
            callTime,
            returnTime: undefined,
            output: undefined,
          }
        : {
            clientId: step.clientId,
            input: step.input,
            callTime,
            returnTime: point + step.after,
            output,
          };
    });
  });

/**
 * Up to `maxLength` operations with random intervals and random (often impossible) answers;
 * `unknownWeight` in 5 of them have an unknown outcome.
 */
function randomHistory(
  keyDomain: readonly string[],
  { maxLength = 7, unknownWeight = 1 }: { maxLength?: number; unknownWeight?: number } = {},
): fc.Arbitrary<HistoryOperation[]> {
  const output = (input: KvOperation): fc.Arbitrary<KvOutput> => {
    switch (input.kind) {
      case "put":
      case "delete":
        return fc.constant({ kind: input.kind });
      case "get":
        return fc
          .option(fc.constantFrom(...values), { nil: undefined })
          .map((value) => ({ kind: "get" as const, value }));
      case "cas":
        return fc.boolean().map((ok) => ({ kind: "cas" as const, ok }));
    }
  };
  const operation = fc
    .record({
      clientId: fc.constantFrom("a", "b", "c"),
      input: arbitraryInput(keyDomain),
      callTime: fc.nat({ max: 12 }),
      duration: fc.oneof(
        { arbitrary: fc.nat({ max: 6 }), weight: 5 - unknownWeight },
        { arbitrary: fc.constant(undefined), weight: unknownWeight },
      ),
    })
    .chain(({ clientId, input, callTime, duration }) =>
      output(input).map((out): HistoryOperation => ({
        clientId,
        input,
        callTime,
        returnTime: duration === undefined ? undefined : callTime + duration,
        output: duration === undefined ? undefined : out,
      })),
    );
  return fc.array(operation, { maxLength });
}

const settings = { seed: 20_240_611, numRuns: 300 } as const;

describe("checkKvHistory against executions and a brute-force oracle", () => {
  it("accepts every history recorded from a sequential execution", () => {
    fc.assert(
      fc.property(recordedHistory, (history) => {
        expect(checkKvHistory(history)).toEqual({
          verdict: "linearizable",
          ok: true,
          incompleteKeys: [],
        });
      }),
      settings,
    );
  });

  it("agrees with the brute-force search on small single-key histories", () => {
    fc.assert(
      fc.property(randomHistory(["x"]), (history) => {
        expect(checkKvHistory(history).ok).toBe(bruteForceLinearizable(history));
      }),
      { ...settings, numRuns: 600 },
    );
  });

  it("agrees with the brute-force search on small two-key histories", () => {
    fc.assert(
      fc.property(randomHistory(keys), (history) => {
        expect(checkKvHistory(history).ok).toBe(bruteForceLinearizable(history));
      }),
      settings,
    );
  });

  it("agrees with the brute-force search when many outcomes are unknown", () => {
    fc.assert(
      fc.property(randomHistory(["x"], { maxLength: 8, unknownWeight: 3 }), (history) => {
        expect(checkKvHistory(history).ok).toBe(bruteForceLinearizable(history));
      }),
      { ...settings, numRuns: 600 },
    );
  });

  it("reports operations that are not linearizable on their own", () => {
    fc.assert(
      fc.property(randomHistory(["x"]), (history) => {
        const result = checkKvHistory(history);
        fc.pre(!result.ok);
        expect(result.operations).toBeDefined();
        expect(bruteForceLinearizable(result.operations!)).toBe(false);
        expect(result.explanation).toContain(`key "${result.key}"`);
      }),
      settings,
    );
  });
});
