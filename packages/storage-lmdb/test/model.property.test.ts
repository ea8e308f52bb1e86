/**
 * Property test: random sequences of writes (batched across groups, several per group per
 * batch), snapshots and compactions give the same observable state in each NodeStorage as in
 * the obviously correct model, one core MemoryStorage per group applied step by step. For LMDB
 * the state must also survive a reopen.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { AssertionError, MemoryStorage, type Entry, type HardState } from "@flotilla/raft";
import type { GroupWrite, NodeStorage } from "../src/index.js";
import { A, B, hardState, MEMBERS, noiseBytes, normal, snapshotAt } from "./support/fixtures.js";
import { lmdbHarness, memoryHarness } from "./support/harnesses.js";
import type { NodeStorageHarness } from "./support/node-storage-conformance.js";
import { observeGroup } from "./support/observe.js";

const GROUPS = ["g0", "g1", "g2"] as const;

/** One step, expressed relative to the model's state so most steps are valid. */
type Step =
  | { readonly kind: "batch"; readonly parts: readonly Part[] }
  | {
      readonly kind: "create-snapshot";
      readonly group: number;
      readonly back: number;
      readonly size: number;
    };

interface Part {
  readonly group: number;
  /** Start of the append, relative to lastIndex + 1 (negative: overwrite a suffix). */
  readonly startBack: number;
  readonly count: number;
  readonly termBump: number;
  /** A vote change, a commit-index change, or no hard state. */
  readonly hard: "vote" | "commit" | "none";
  /** Install a snapshot past the log (a leader's), this far beyond lastIndex. */
  readonly snapshotAhead: number | undefined;
  /** Compact to this far below the snapshot index (undefined: no compaction). */
  readonly compactBack: number | undefined;
  /** Make the append leave a hole (the batch must then be rejected whole). */
  readonly hole: boolean;
  /**
   * Let the append overwrite entries the snapshot covers. Raft never does (they are committed),
   * but MemoryStorage allows it, and it reaches the planner's in-batch term bookkeeping.
   */
  readonly belowSnapshot: boolean;
}

const partArbitrary: fc.Arbitrary<Part> = fc.record({
  group: fc.integer({ min: 0, max: GROUPS.length - 1 }),
  startBack: fc.integer({ min: -4, max: 0 }),
  count: fc.integer({ min: 0, max: 5 }),
  termBump: fc.integer({ min: 0, max: 1 }),
  hard: fc.constantFrom("vote" as const, "commit" as const, "none" as const),
  snapshotAhead: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined, freq: 8 }),
  compactBack: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined, freq: 3 }),
  hole: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  belowSnapshot: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
});

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("batch" as const),
      parts: fc.array(partArbitrary, { minLength: 1, maxLength: 4 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("create-snapshot" as const),
      group: fc.integer({ min: 0, max: GROUPS.length - 1 }),
      back: fc.integer({ min: 0, max: 4 }),
      size: fc.integer({ min: 0, max: 3000 }),
    }),
  },
);

/**
 * The model: one MemoryStorage per group, rebuilt by replaying every accepted write (the
 * MemoryStorage has no clone, and a refused batch must leave no trace).
 */
class Model {
  groups = Model.fresh();
  private readonly history: ((groups: Map<string, MemoryStorage>) => void)[] = [];
  private serial = 0;

  static fresh(): Map<string, MemoryStorage> {
    return new Map(GROUPS.map((g) => [g, new MemoryStorage(MEMBERS)]));
  }

  get(group: number): MemoryStorage {
    return this.groups.get(GROUPS[group]!)!;
  }

  /** A copy of the model's groups to try a batch on. */
  scratch(): Map<string, MemoryStorage> {
    const groups = Model.fresh();
    for (const replay of this.history) replay(groups);
    return groups;
  }

  /** Records an accepted change and applies it. */
  accept(change: (groups: Map<string, MemoryStorage>) => void): void {
    this.history.push(change);
    change(this.groups);
  }

  /**
   * Turns a part into a concrete GroupWrite against `scratch` (the model as of this point of the
   * batch) and applies it there; `valid` is false when the model refused it (a hole).
   */
  concretize(part: Part, scratch: MemoryStorage): { write: GroupWrite; valid: boolean } {
    const groupId = GROUPS[part.group]!;
    const write: { -readonly [K in keyof GroupWrite]: GroupWrite[K] } = { groupId };
    const hs = scratch.initialState().hardState;
    const term = Math.max(hs.term, scratch.term(scratch.lastIndex()) ?? 0) + part.termBump;
    if (part.snapshotAhead !== undefined) {
      const index = scratch.lastIndex() + part.snapshotAhead;
      write.snapshot = snapshotAt(
        index,
        term,
        noiseBytes(this.serial % 50, ++this.serial),
        MEMBERS,
      );
      scratch.applySnapshot(write.snapshot);
    }
    // Raft never overwrites what a snapshot covers (those entries are committed, §5.4).
    const floor = part.belowSnapshot ? 1 : scratch.snapshot().metadata.index + 1;
    const start = Math.max(floor, scratch.lastIndex() + 1 + part.startBack) + (part.hole ? 2 : 0);
    const entries: Entry[] = [];
    for (let i = 0; i < part.count; i++)
      entries.push(normal(start + i, term, noiseBytes(8, ++this.serial)));
    if (entries.length > 0) {
      write.entries = entries;
      try {
        scratch.append(entries);
      } catch (error) {
        expect(error).toBeInstanceOf(AssertionError);
        return { write, valid: false };
      }
    }
    if (part.hard !== "none") {
      const next: HardState =
        part.hard === "vote"
          ? hardState(term, part.termBump > 0 ? B : A, hs.commitIndex)
          : { ...hs, commitIndex: Math.min(scratch.lastIndex(), hs.commitIndex + 1) };
      write.hardState = next;
      scratch.setHardState(next);
    }
    if (part.compactBack !== undefined) {
      const through =
        Math.min(scratch.snapshot().metadata.index, scratch.lastIndex()) - part.compactBack;
      if (through >= scratch.firstIndex()) {
        write.compactThrough = through;
        scratch.compact(through);
      }
    }
    return { write, valid: true };
  }
}

async function runSteps(storage: NodeStorage, model: Model, steps: readonly Step[]): Promise<void> {
  for (const step of steps) {
    if (step.kind === "create-snapshot") {
      const group = model.get(step.group);
      const index = Math.max(group.firstIndex() - 1, group.lastIndex() - step.back);
      const data = noiseBytes(step.size, step.size + index);
      let expected = group.snapshot();
      model.accept((groups) => {
        expected = groups.get(GROUPS[step.group]!)!.createSnapshot(index, MEMBERS, data);
      });
      const actual = await storage.createSnapshot(GROUPS[step.group]!, index, MEMBERS, data);
      expect(actual.metadata).toEqual(expected.metadata);
      expect([...actual.data]).toEqual([...expected.data]);
      continue;
    }
    const scratch = model.scratch();
    const writes: GroupWrite[] = [];
    let valid = true;
    for (const part of step.parts) {
      const made = model.concretize(part, scratch.get(GROUPS[part.group]!)!);
      writes.push(made.write);
      if (!made.valid) {
        valid = false;
        break;
      }
    }
    if (valid) {
      await storage.write(writes);
      model.accept((groups) => {
        for (const write of writes) applyWrite(groups.get(write.groupId)!, write);
      });
    } else {
      // The whole batch is refused, the parts before the hole included.
      await expect(storage.write(writes)).rejects.toBeInstanceOf(AssertionError);
    }
    compare(storage, model);
  }
}

function applyWrite(storage: MemoryStorage, write: GroupWrite): void {
  if (write.snapshot !== undefined) storage.applySnapshot(write.snapshot);
  if (write.entries !== undefined) storage.append(write.entries);
  if (write.hardState !== undefined) storage.setHardState(write.hardState);
  if (write.compactThrough !== undefined) storage.compact(write.compactThrough);
}

function compare(storage: NodeStorage, model: Model): void {
  for (const groupId of GROUPS) {
    const actual = storage.group(groupId)!;
    const expected = model.groups.get(groupId)!;
    expect(observeGroup(actual)).toEqual(observeGroup(expected));
    const first = expected.firstIndex();
    const last = expected.lastIndex();
    if (last >= first) {
      const bytesMax = (last - first) * 20;
      expect(actual.entries(first, last + 1, bytesMax)).toEqual(
        expected.entries(first, last + 1, bytesMax),
      );
    }
  }
}

function property(makeHarness: () => NodeStorageHarness, numRuns: number): Promise<void> {
  return fc.assert(
    fc.asyncProperty(fc.array(stepArbitrary, { minLength: 1, maxLength: 15 }), async (steps) => {
      const harness = makeHarness();
      let storage = await harness.open();
      try {
        await storage.createGroups(GROUPS.map((groupId) => ({ groupId, membership: MEMBERS })));
        const model = new Model();
        await runSteps(storage, model, steps);
        if (harness.reopen !== undefined) {
          storage = await harness.reopen(storage);
          compare(storage, model);
        }
      } finally {
        await storage.close();
        await harness.cleanup();
      }
    }),
    { numRuns, seed: 20_251_123 },
  );
}

describe("NodeStorage against the MemoryStorage model (fast-check)", () => {
  it("MemoryNodeStorage behaves like one MemoryStorage per group", async () => {
    await property(memoryHarness, 300);
  });

  it("LmdbNodeStorage behaves like one MemoryStorage per group, before and after a reopen", async () => {
    await property(() => lmdbHarness({ durability: "relaxed", snapshotChunkBytes: 512 }), 60);
  });
});
