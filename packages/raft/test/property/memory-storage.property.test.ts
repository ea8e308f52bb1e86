/**
 * MemoryStorage against a plain-array model under random appends (with suffix replacement),
 * snapshots, compactions and installed snapshots: first/last index, terms, entry ranges (with
 * their size limit), the snapshot and the hard state always agree with the model.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AssertionError,
  EMPTY_HARD_STATE,
  MemoryStorage,
  entrySizeBytes,
  membershipOf,
  nodeId,
  type Entry,
  type HardState,
  type Membership,
  type Snapshot,
} from "../../src/index.js";

const MEMBERSHIP: Membership = membershipOf([nodeId("a"), nodeId("b"), nodeId("c")]);
const encoder = new TextEncoder();

function entry(index: number, term: number, size = 0): Entry {
  return {
    index,
    term,
    type: "normal",
    data: encoder.encode(`${index}/${term}`.padEnd(size, ".")),
  };
}

/** The obviously correct storage: the log point (index, term) and the entries after it. */
class Model {
  offset = 0;
  offsetTerm = 0;
  entries: Entry[] = [];
  snapshot: Snapshot = {
    metadata: { index: 0, term: 0, membership: MEMBERSHIP },
    data: new Uint8Array(),
  };
  hardState: HardState = EMPTY_HARD_STATE;
  maxTerm = 1;

  lastIndex(): number {
    return this.offset + this.entries.length;
  }

  term(index: number): number | undefined {
    if (index === this.offset) return this.offsetTerm;
    return this.entries[index - this.offset - 1]?.term;
  }
}

type Op =
  | { kind: "append"; start: number; count: number; fresh: boolean; size: number }
  | { kind: "snapshot"; at: number }
  | { kind: "compact"; at: number }
  | { kind: "install"; at: number; ahead: number }
  | { kind: "hard-state"; term: number; commit: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("append" as const),
      start: fc.nat(1000),
      count: fc.integer({ min: 1, max: 4 }),
      fresh: fc.boolean(),
      size: fc.nat(40),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("snapshot" as const), at: fc.nat(1000) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("compact" as const), at: fc.nat(1000) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("install" as const),
      at: fc.nat(1000),
      ahead: fc.nat(3),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("hard-state" as const),
      term: fc.nat(5),
      commit: fc.nat(1000),
    }),
  },
);

/** Picks an integer in [lo, hi] from a raw choice (hi >= lo). */
function pick(raw: number, lo: number, hi: number): number {
  return lo + (raw % (hi - lo + 1));
}

function apply(storage: MemoryStorage, model: Model, o: Op): void {
  switch (o.kind) {
    case "append": {
      // Starts anywhere from below the log point (those entries are ignored) to just past the end.
      const start = pick(o.start, Math.max(1, model.offset - 2), model.lastIndex() + 1);
      const prevTerm = model.term(start - 1) ?? model.offsetTerm;
      if (o.fresh) model.maxTerm++;
      const term = o.fresh ? model.maxTerm : Math.max(prevTerm, 1);
      const batch = Array.from({ length: o.count }, (_, i) => entry(start + i, term, o.size));
      storage.append(batch);
      const kept = batch.filter((e) => e.index > model.offset);
      const first = kept[0];
      if (first === undefined) return;
      model.entries = [...model.entries.slice(0, first.index - model.offset - 1), ...kept];
      return;
    }
    case "snapshot": {
      const at = pick(o.at, model.offset, model.lastIndex());
      const data = encoder.encode(`state@${at}`);
      const got = storage.createSnapshot(at, MEMBERSHIP, data);
      if (at > model.snapshot.metadata.index) {
        const term = model.term(at);
        if (term === undefined) throw new Error("model: snapshot point outside the log");
        model.snapshot = { metadata: { index: at, term, membership: MEMBERSHIP }, data };
      }
      expect(got).toEqual(model.snapshot);
      return;
    }
    case "compact": {
      const at = pick(o.at, model.offset, model.snapshot.metadata.index);
      if (at > model.lastIndex()) return; // the snapshot was installed past the log: nothing to keep
      storage.compact(at);
      if (at <= model.offset) return;
      const term = model.term(at);
      if (term === undefined) throw new Error("model: compaction point outside the log");
      model.entries = model.entries.slice(at - model.offset);
      model.offset = at;
      model.offsetTerm = term;
      return;
    }
    case "install": {
      // A snapshot from a leader, at or below our snapshot (ignored) or ahead of our log.
      const at = pick(o.at, 0, model.lastIndex() + o.ahead);
      model.maxTerm++;
      const snapshot: Snapshot = {
        metadata: { index: at, term: model.maxTerm, membership: MEMBERSHIP },
        data: encoder.encode(`leader@${at}`),
      };
      storage.applySnapshot(snapshot);
      if (at <= model.snapshot.metadata.index) return;
      model.snapshot = snapshot;
      model.offset = at;
      model.offsetTerm = model.maxTerm;
      model.entries = [];
      if (model.hardState.commitIndex < at)
        model.hardState = { ...model.hardState, commitIndex: at };
      return;
    }
    case "hard-state": {
      const hs: HardState = {
        term: o.term,
        vote: o.term % 2 === 0 ? undefined : nodeId("a"),
        commitIndex: pick(o.commit, 0, model.lastIndex()),
      };
      storage.setHardState(hs);
      model.hardState = hs;
      return;
    }
  }
}

function check(storage: MemoryStorage, model: Model): void {
  expect(storage.firstIndex()).toBe(model.offset + 1);
  expect(storage.lastIndex()).toBe(model.lastIndex());
  for (let i = Math.max(0, model.offset - 2); i <= model.lastIndex() + 2; i++) {
    expect(storage.term(i)).toBe(i < model.offset ? undefined : model.term(i));
  }
  expect(
    storage.entries(model.offset + 1, model.lastIndex() + 1, Number.POSITIVE_INFINITY),
  ).toEqual(model.entries);
  expect(storage.snapshot()).toEqual(model.snapshot);
  expect(storage.initialState()).toEqual({
    hardState: model.hardState,
    membership: model.snapshot.metadata.membership,
  });
}

/** entries() with a byte limit: a non-empty prefix, within the limit unless one entry, maximal. */
function checkSizeLimit(
  storage: MemoryStorage,
  model: Model,
  from: number,
  to: number,
  bytesMax: number,
): void {
  const all = model.entries.slice(from - model.offset - 1, to - model.offset - 1);
  const got = storage.entries(from, to, bytesMax);
  expect(all.slice(0, got.length)).toEqual(got);
  if (all.length > 0) expect(got.length).toBeGreaterThanOrEqual(1);
  const size = got.reduce((n, e) => n + entrySizeBytes(e), 0);
  if (got.length > 1) expect(size).toBeLessThanOrEqual(bytesMax);
  const next = all[got.length];
  if (next !== undefined) expect(size + entrySizeBytes(next)).toBeGreaterThan(bytesMax);
}

describe("MemoryStorage against an array model", () => {
  it("agrees after every operation of a random sequence", () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 40 }),
        fc.nat(1000),
        fc.nat(1000),
        fc.nat(200),
        (ops, a, b, bytesMax) => {
          const storage = new MemoryStorage(MEMBERSHIP);
          const model = new Model();
          for (const o of ops) {
            apply(storage, model, o);
            check(storage, model);
          }
          const from = pick(a, model.offset + 1, model.lastIndex() + 1);
          const to = pick(b, from, model.lastIndex() + 1);
          checkSizeLimit(storage, model, from, to, bytesMax);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses an append that would leave a hole", () => {
    const storage = new MemoryStorage(MEMBERSHIP);
    storage.append([entry(1, 1), entry(2, 1)]);
    expect(() => storage.append([entry(4, 1)])).toThrow(AssertionError);
  });

  it("refuses to compact past its snapshot", () => {
    const storage = new MemoryStorage(MEMBERSHIP);
    storage.append([entry(1, 1), entry(2, 1), entry(3, 1)]);
    storage.createSnapshot(2, MEMBERSHIP, new Uint8Array());
    expect(() => storage.compact(3)).toThrow(AssertionError);
  });

  it("refuses entries outside [firstIndex, lastIndex + 1)", () => {
    const storage = new MemoryStorage(MEMBERSHIP);
    storage.append([entry(1, 1), entry(2, 1), entry(3, 1)]);
    storage.createSnapshot(2, MEMBERSHIP, new Uint8Array());
    storage.compact(2);
    expect(() => storage.entries(2, 4, Number.POSITIVE_INFINITY)).toThrow(AssertionError);
    expect(() => storage.entries(3, 5, Number.POSITIVE_INFINITY)).toThrow(AssertionError);
  });
});
