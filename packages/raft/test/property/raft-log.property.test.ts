/**
 * RaftLog (stable storage plus the unstable tail) against a plain-array model under random
 * sequences of leader appends, follower appends that replace an uncommitted suffix, persisting
 * (stableTo), commits, applies, snapshot restores and compactions. Whatever has been persisted,
 * the log's view — term(i), firstIndex, lastIndex, slice, findConflict, findConflictByTerm,
 * isUpToDate, the committed entries to apply — is the model's, and commit never goes backwards.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AssertionError,
  MemoryStorage,
  entrySizeBytes,
  membershipOf,
  nodeId,
  type Entry,
  type Snapshot,
} from "../../src/index.js";
import { RaftLog } from "../../src/raft-log.js";

const MEMBERSHIP = membershipOf([nodeId("a"), nodeId("b"), nodeId("c")]);
const encoder = new TextEncoder();

/**
 * Same index and term means the same entry (Log Matching), so the data follows from both; its
 * size varies with them too, so byte limits cut batches at uneven places.
 */
function entry(index: number, term: number): Entry {
  const padding = ((index * 7 + term * 13) % 5) * 12;
  return {
    index,
    term,
    type: "normal",
    data: encoder.encode(`${index}/${term}`.padEnd(padding, ".")),
  };
}

/** The obviously correct log: a snapshot point and the terms after it, plus commit and applied. */
class Model {
  snapIndex = 0;
  snapTerm = 0;
  terms: number[] = [];
  committed = 0;
  applied = 0;
  maxTerm = 1;

  firstIndex(): number {
    return this.snapIndex + 1;
  }

  lastIndex(): number {
    return this.snapIndex + this.terms.length;
  }

  lastTerm(): number {
    return this.terms[this.terms.length - 1] ?? this.snapTerm;
  }

  term(index: number): number | undefined {
    if (index === this.snapIndex) return this.snapTerm;
    if (index < this.snapIndex) return undefined;
    return this.terms[index - this.snapIndex - 1];
  }

  entries(from: number, to: number): Entry[] {
    const out: Entry[] = [];
    for (let i = from; i < to; i++) out.push(entry(i, this.term(i) ?? -1));
    return out;
  }

  /** Drops everything from `index` on and appends `terms` there. */
  replaceFrom(index: number, terms: readonly number[]): void {
    this.terms = [...this.terms.slice(0, index - this.snapIndex - 1), ...terms];
  }

  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = index; i >= this.snapIndex; i--) {
      const t = this.term(i);
      if (t !== undefined && t <= term) return { index: i, term: t };
    }
    return { index: this.snapIndex, term: 0 };
  }
}

type Op =
  | { kind: "leader-append"; count: number; newTerm: boolean }
  | {
      kind: "follower-append";
      prev: number;
      overlap: number;
      count: number;
      wrongPrevTerm: boolean;
      commit: number;
    }
  | { kind: "ready"; count: number }
  | { kind: "advance" }
  | { kind: "commit"; to: number }
  | { kind: "apply"; to: number }
  | { kind: "restore"; ahead: number }
  | { kind: "compact"; at: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("leader-append" as const),
      count: fc.integer({ min: 1, max: 4 }),
      newTerm: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("follower-append" as const),
      prev: fc.nat(1000),
      overlap: fc.nat(3),
      count: fc.nat(3),
      wrongPrevTerm: fc.boolean(),
      commit: fc.nat(1000),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("ready" as const), count: fc.nat(1000) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("advance" as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("commit" as const), to: fc.nat(1000) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("apply" as const), to: fc.nat(1000) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("restore" as const),
      ahead: fc.integer({ min: 1, max: 4 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("compact" as const), at: fc.nat(1000) }) },
);

function pick(raw: number, lo: number, hi: number): number {
  return lo + (raw % (hi - lo + 1));
}

interface World {
  readonly storage: MemoryStorage;
  readonly log: RaftLog;
  readonly model: Model;
  /** The last entry written by a Ready whose advance has not come yet. */
  handedOut: Entry | undefined;
}

function fresh(): World {
  const storage = new MemoryStorage(MEMBERSHIP);
  return { storage, log: new RaftLog(storage), model: new Model(), handedOut: undefined };
}

function apply(w: World, o: Op): void {
  const { storage, log, model } = w;
  switch (o.kind) {
    case "leader-append": {
      if (o.newTerm) model.maxTerm++;
      const term = Math.max(model.maxTerm, model.lastTerm());
      const first = model.lastIndex() + 1;
      const terms = Array.from({ length: o.count }, () => term);
      log.append(terms.map((t, i) => entry(first + i, t)));
      model.replaceFrom(first, terms);
      return;
    }
    case "follower-append": {
      // A leader's AppendEntries: prev at or above our commit index, some entries we already
      // hold (same terms), then entries of a newer term that replace whatever follows.
      const prev = pick(o.prev, model.committed, model.lastIndex());
      const prevTerm = model.term(prev);
      if (prevTerm === undefined) throw new Error("model: prev outside the log");
      const overlap = Math.min(o.overlap, model.lastIndex() - prev);
      const kept = Array.from({ length: overlap }, (_, i) => model.term(prev + 1 + i) ?? -1);
      if (o.count > 0) model.maxTerm++;
      const added = Array.from({ length: o.count }, () => model.maxTerm);
      const terms = [...kept, ...added];
      const entries = terms.map((t, i) => entry(prev + 1 + i, t));
      const lastNew = prev + terms.length;
      const leaderCommit = pick(o.commit, 0, lastNew + 2);
      const sentPrevTerm = o.wrongPrevTerm ? prevTerm + 1000 : prevTerm;
      const got = log.maybeAppend(prev, sentPrevTerm, leaderCommit, entries);
      if (o.wrongPrevTerm) {
        expect(got).toBeUndefined();
        return;
      }
      expect(got).toBe(lastNew);
      if (added.length > 0) model.replaceFrom(prev + 1 + overlap, added);
      model.committed = Math.max(model.committed, Math.min(leaderCommit, lastNew));
      return;
    }
    case "ready": {
      // The host's side of a Ready: persist the snapshot, then a prefix of the unstable entries.
      // The matching advance may come later, after other input changed the tail (see "advance").
      const snapshot = log.unstable.snapshot;
      if (snapshot !== undefined) {
        storage.applySnapshot(snapshot);
        log.unstable.stableSnapshotTo(snapshot.metadata.index);
        if (snapshot.metadata.index > log.applied) log.applied = snapshot.metadata.index;
        model.applied = Math.max(model.applied, snapshot.metadata.index);
      }
      const unstable = log.unstable.entries;
      const batch = unstable.slice(0, pick(o.count, 0, unstable.length));
      storage.append(batch);
      w.handedOut = batch[batch.length - 1] ?? w.handedOut;
      return;
    }
    case "advance": {
      // The persisted entries leave the tail, unless a newer leader has replaced them since.
      if (w.handedOut !== undefined) log.unstable.stableTo(w.handedOut.index, w.handedOut.term);
      w.handedOut = undefined;
      return;
    }
    case "commit": {
      const to = pick(o.to, 0, model.lastIndex());
      log.commitTo(to);
      model.committed = Math.max(model.committed, to);
      return;
    }
    case "apply": {
      const to = pick(o.to, model.applied, model.committed);
      log.appliedTo(to);
      model.applied = Math.max(model.applied, to);
      return;
    }
    case "restore": {
      // A leader's snapshot past our commit index, of a newer term than anything we hold.
      model.maxTerm++;
      const index = model.committed + o.ahead;
      const snapshot: Snapshot = {
        metadata: { index, term: model.maxTerm, membership: MEMBERSHIP },
        data: encoder.encode(`snap@${index}`),
      };
      log.restore(snapshot);
      model.snapIndex = index;
      model.snapTerm = model.maxTerm;
      model.terms = [];
      model.committed = index;
      return;
    }
    case "compact": {
      // The state machine snapshots at an applied index that is persisted (below the tail).
      if (log.unstable.snapshot !== undefined) return;
      const hi = Math.min(model.applied, storage.lastIndex(), log.unstable.offset - 1);
      const lo = storage.firstIndex();
      if (hi < lo) return;
      const at = pick(o.at, lo, hi);
      storage.createSnapshot(at, MEMBERSHIP, encoder.encode(`state@${at}`));
      storage.compact(at);
      const term = model.term(at);
      if (term === undefined) throw new Error("model: compaction point outside the log");
      model.terms = model.terms.slice(at - model.snapIndex);
      model.snapIndex = at;
      model.snapTerm = term;
      return;
    }
  }
}

function check(w: World, probe: readonly number[]): void {
  const { log, model } = w;
  expect(log.firstIndex()).toBe(model.firstIndex());
  expect(log.lastIndex()).toBe(model.lastIndex());
  expect(log.lastTerm()).toBe(model.lastTerm());
  for (let i = Math.max(0, model.snapIndex - 2); i <= model.lastIndex() + 2; i++) {
    expect(log.term(i), `term(${i})`).toBe(model.term(i));
  }
  expect(log.committed).toBe(model.committed);
  expect(log.applied).toBe(model.applied);
  expect(log.applied).toBeLessThanOrEqual(log.committed);
  expect(log.committed).toBeLessThanOrEqual(log.lastIndex());

  const [r1 = 0, r2 = 0, r3 = 0, r4 = 0, r5 = 0] = probe;
  // slice over any range of the log, with and without a byte limit.
  const from = pick(r1, model.firstIndex(), model.lastIndex() + 1);
  const to = pick(r2, from, model.lastIndex() + 1);
  const all = model.entries(from, to);
  expect(log.slice(from, to, Number.POSITIVE_INFINITY)).toEqual(all);
  const bytesMax = r3 % 200;
  const limited = log.slice(from, to, bytesMax);
  expect(all.slice(0, limited.length)).toEqual(limited);
  if (all.length > 0) expect(limited.length).toBeGreaterThanOrEqual(1);
  const size = limited.reduce((n, e) => n + entrySizeBytes(e), 0);
  if (limited.length > 1) expect(size).toBeLessThanOrEqual(bytesMax);
  const next = all[limited.length];
  if (next !== undefined) expect(size + entrySizeBytes(next)).toBeGreaterThan(bytesMax);

  // findConflict: the first candidate entry whose (index, term) we do not hold.
  const start = pick(r4, model.firstIndex(), model.lastIndex() + 1);
  const candidates = [0, 1, 2].map((i) => {
    const index = start + i;
    const term = (r5 >> i) % 3 === 0 ? model.maxTerm + 1 : (model.term(index) ?? model.maxTerm);
    return entry(index, term);
  });
  const expectedConflict = candidates.find((e) => model.term(e.index) !== e.term)?.index ?? 0;
  expect(log.findConflict(candidates)).toBe(expectedConflict);

  // findConflictByTerm: largest index at or below `index` whose term is at most `term`.
  const index = pick(r1 ^ r4, model.snapIndex, model.lastIndex());
  const term = r2 % (model.maxTerm + 2);
  expect(log.findConflictByTerm(index, term)).toEqual(model.findConflictByTerm(index, term));

  // isUpToDate (§5.4.1): a later last term, or the same last term and at least as long.
  const li = pick(r3, 0, model.lastIndex() + 2);
  const lt = r5 % (model.maxTerm + 2);
  expect(log.isUpToDate(li, lt)).toBe(
    lt > model.lastTerm() || (lt === model.lastTerm() && li >= model.lastIndex()),
  );

  // The committed entries still to apply.
  const applyFrom = Math.max(model.applied + 1, model.firstIndex());
  const pending = applyFrom <= model.committed ? model.entries(applyFrom, model.committed + 1) : [];
  expect(log.hasNextCommittedEntries()).toBe(pending.length > 0);
  expect(log.nextCommittedEntries(Number.POSITIVE_INFINITY)).toEqual(pending);
}

const probe = fc.array(fc.nat(1 << 20), { minLength: 5, maxLength: 5 });

describe("RaftLog against an array model", () => {
  it("agrees with the model after every operation, whatever is persisted", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(op, probe), { maxLength: 40 }), (steps) => {
        const w = fresh();
        let committed = 0;
        for (const [o, p] of steps) {
          apply(w, o);
          check(w, p);
          expect(w.log.committed, "commit never goes backwards").toBeGreaterThanOrEqual(committed);
          committed = w.log.committed;
        }
      }),
      { numRuns: 300 },
    );
  });

  it("refuses to truncate at or below the commit index (AssertionError)", () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 30 }),
        fc.nat(1000),
        fc.boolean(),
        (ops, raw, viaMaybeAppend) => {
          const w = fresh();
          for (const o of ops) apply(w, o);
          const { log, model } = w;
          fc.pre(model.committed >= model.firstIndex());
          const at = pick(raw, model.firstIndex(), model.committed);
          const conflicting = entry(at, model.maxTerm + 1);
          if (viaMaybeAppend) {
            const prevTerm = model.term(at - 1) ?? 0;
            expect(() => log.maybeAppend(at - 1, prevTerm, model.committed, [conflicting])).toThrow(
              AssertionError,
            );
          } else {
            expect(() => log.append([conflicting])).toThrow(AssertionError);
          }
          // The refused write changed nothing.
          expect(log.term(at)).toBe(model.term(at));
          expect(log.committed).toBe(model.committed);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("refuses an append that leaves a hole, and a commit past the last index", () => {
    const w = fresh();
    w.log.append([entry(1, 1), entry(2, 1)]);
    expect(() => w.log.append([entry(4, 1)])).toThrow(AssertionError);
    expect(() => w.log.commitTo(3)).toThrow(AssertionError);
    w.log.commitTo(2);
    w.log.commitTo(1);
    expect(w.log.committed).toBe(2);
  });
});
