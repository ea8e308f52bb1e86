/**
 * Property tests for `checkHistory`: a history recorded from a real sequential execution (every
 * interval contains its operation's real instant) is always linearizable, registers and lists
 * alike, with unknown outcomes and times past 2^53; a read changed to show a value never written
 * is never linearizable (incomplete at worst); and on small list histories the checker agrees
 * with a brute-force search over every order, which tests the list search's pruning rules.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { checkHistory } from "../../src/linearizability/check-history.js";
import type { HistoryRecord, JsonValue } from "../../src/linearizability/history-record.js";

const Fate = { completed: 0, applied: 1, lost: 2 } as const;
type Fate = (typeof Fate)[keyof typeof Fate];

interface Step {
  readonly kind: "put" | "get" | "cas" | "append" | "read-list";
  readonly key: string;
  readonly value: string;
  readonly expected: string | null;
  readonly before: number;
  readonly after: number;
  readonly fate: Fate;
  readonly client: number;
}

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constantFrom("put" as const, "get" as const, "cas" as const),
    key: fc.constantFrom("g1/x", "g2/y"),
    value: fc.constantFrom("a", "b", "c"),
    expected: fc.constantFrom("a", "b", null),
    before: fc.nat(30),
    after: fc.nat(30),
    fate: fc.constantFrom<Fate>(Fate.completed, Fate.completed, Fate.applied, Fate.lost),
    client: fc.nat(5),
  }),
  fc.record({
    kind: fc.constantFrom("append" as const, "read-list" as const),
    key: fc.constantFrom("g1/l", "g2/m"),
    value: fc.constantFrom("a", "b", "c", "d"),
    expected: fc.constant(null),
    before: fc.nat(30),
    after: fc.nat(30),
    fate: fc.constantFrom<Fate>(Fate.completed, Fate.completed, Fate.applied, Fate.lost),
    client: fc.nat(5),
  }),
);

/**
 * Runs `steps` one at a time against a Map of registers and lists: step `i` takes effect at
 * `10(i+1)` (unless lost) and its interval stretches around that instant. Times are offset by
 * `origin`, written as decimal strings.
 */
function record(steps: readonly Step[], origin: bigint): HistoryRecord[] {
  const registers = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const time = (at: number): string => (origin + BigInt(at)).toString();
  return steps.map((s, index) => {
    const instant = 10 * (index + 1);
    const call = time(Math.max(0, instant - s.before));
    const ret = s.fate === Fate.completed ? time(instant + s.after) : null;
    const applies = s.fate !== Fate.lost;
    const common = { client: s.client, key: s.key, call, return: ret };
    switch (s.kind) {
      case "put":
        if (applies) registers.set(s.key, s.value);
        return { ...common, op: "put", value: s.value };
      case "get":
        return {
          ...common,
          op: "get",
          output: ret === null ? null : (registers.get(s.key) ?? null),
        };
      case "cas": {
        const swaps = (registers.get(s.key) ?? null) === s.expected;
        if (applies && swaps) registers.set(s.key, s.value);
        const output = ret === null ? null : swaps;
        return { ...common, op: "cas", expected: s.expected, value: s.value, output };
      }
      case "append": {
        if (applies) lists.set(s.key, [...(lists.get(s.key) ?? []), s.value]);
        return { ...common, op: "append", value: s.value };
      }
      case "read-list":
        return {
          ...common,
          op: "read-list",
          output: ret === null ? null : [...(lists.get(s.key) ?? [])],
        };
    }
  });
}

const recorded = fc
  .tuple(fc.array(step, { minLength: 1, maxLength: 40 }), fc.constantFrom(0n, 2n ** 62n))
  .map(([steps, origin]) => record(steps, origin));

/** A completed read changed to show a value no operation ever wrote. */
function withImpossibleRead(
  history: readonly HistoryRecord[],
  pick: number,
): HistoryRecord[] | undefined {
  const reads = history.flatMap((r, index) =>
    (r.op === "get" || r.op === "read-list") && r.return !== null ? [index] : [],
  );
  if (reads.length === 0) return undefined;
  const index = reads[pick % reads.length] ?? 0;
  return history.map((r, at) => {
    if (at !== index) return r;
    if (r.op === "get") return { ...r, output: "never-written" };
    if (r.op === "read-list") return { ...r, output: [...(r.output ?? []), "never-written"] };
    return r;
  });
}

describe("checkHistory against executions", () => {
  it("accepts every history recorded from a sequential execution", () => {
    fc.assert(
      fc.property(recorded, (history) => {
        expect(checkHistory(history, { maxStatesPerKey: 200_000 }).verdict).toBe("linearizable");
      }),
      { numRuns: 300 },
    );
  });

  it("never passes a history whose read shows a value nobody wrote", () => {
    fc.assert(
      fc.property(recorded, fc.nat(), (history, pick) => {
        const mutated = withImpossibleRead(history, pick);
        if (mutated === undefined) return;
        const verdict = checkHistory(mutated, { maxStatesPerKey: 200_000 }).verdict;
        expect(["not-linearizable", "incomplete"]).toContain(verdict);
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * Brute force for one list key: every order of the operations in which nothing goes before an
 * operation that returned before it was called, unknown appends optional, unknown reads ignored.
 */
function bruteForceList(history: readonly HistoryRecord[]): boolean {
  const ops = history.filter((r) => !(r.op === "read-list" && r.return === null));
  const completed = ops.filter((r) => r.return !== null).length;
  const used = ops.map(() => false);
  const mustPrecede = (a: HistoryRecord, b: HistoryRecord): boolean =>
    a.return !== null && BigInt(a.return) < BigInt(b.call);
  // The list holds each value's JSON text.
  const sameValues = (read: readonly JsonValue[], list: readonly string[]): boolean =>
    JSON.stringify(read.map((value) => JSON.stringify(value))) === JSON.stringify(list);
  const search = (list: readonly string[], done: number): boolean => {
    if (done === completed) return true;
    for (const [index, op] of ops.entries()) {
      if (used[index] === true) continue;
      if (ops.some((other, j) => j !== index && used[j] === false && mustPrecede(other, op)))
        continue;
      let next = list;
      if (op.op === "append") next = [...list, JSON.stringify(op.value)];
      else if (op.op === "read-list" && !sameValues(op.output ?? [], list)) continue;
      used[index] = true;
      const found = search(next, done + (op.return === null ? 0 : 1));
      used[index] = false;
      if (found) return true;
    }
    return false;
  };
  return search([], 0);
}

const smallListOp = fc.record({
  op: fc.constantFrom("append" as const, "append" as const, "read-list" as const),
  value: fc.constantFrom("a", "b", "c"),
  read: fc.array(fc.constantFrom("a", "b", "c"), { maxLength: 3 }),
  call: fc.nat(20),
  length: fc.nat(10),
  unknown: fc.boolean(),
});

const smallListHistory = fc.array(smallListOp, { minLength: 1, maxLength: 7 }).map((ops) =>
  ops.map((o, client): HistoryRecord => {
    const common = {
      client,
      key: "g1/l",
      call: o.call,
      return: o.unknown && o.op === "append" ? null : o.call + o.length,
    };
    return o.op === "append"
      ? { ...common, op: "append", value: o.value }
      : { ...common, op: "read-list", output: o.read };
  }),
);

describe("checkHistory on small list histories", () => {
  it("agrees with a brute-force search over every order", () => {
    fc.assert(
      fc.property(smallListHistory, (history) => {
        const expected = bruteForceList(history) ? "linearizable" : "not-linearizable";
        expect(checkHistory(history).verdict).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
  });
});
