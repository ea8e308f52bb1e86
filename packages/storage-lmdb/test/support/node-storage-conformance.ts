/**
 * The NodeStorage conformance suite: the behaviours every implementation (in memory, LMDB, and
 * any later one) must share, with MemoryStorage's semantics as the reference. Call
 * {@link describeNodeStorageConformance} from a test file with a harness per implementation.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AssertionError, entrySizeBytes, membershipOf, type Entry } from "@flotilla/raft";
import { isStorageClosedError, type NodeStorage } from "../../src/index.js";
import {
  A,
  B,
  C,
  hardState,
  MEMBERS,
  noiseBytes,
  normal,
  normals,
  snapshotAt,
} from "./fixtures.js";
import { observeGroup, observeNode } from "./observe.js";

/** How the suite gets a storage. */
export interface NodeStorageHarness {
  /** A fresh, empty storage. */
  open(): Promise<NodeStorage>;
  /** Closes `storage` and opens its data again; undefined for storages that do not persist. */
  readonly reopen: ((storage: NodeStorage) => Promise<NodeStorage>) | undefined;
  /** Removes whatever `open` created (called after the storage is closed). */
  cleanup(): Promise<void>;
}

const config: Entry = {
  index: 0,
  term: 0,
  type: "config",
  change: { kind: "enter-joint", changes: [{ type: "add-voter", nodeId: C }] },
};

/** Registers the suite for one implementation. */
export function describeNodeStorageConformance(
  name: string,
  makeHarness: () => NodeStorageHarness,
): void {
  describe(`NodeStorage conformance: ${name}`, () => {
    let harness: NodeStorageHarness;
    let storage: NodeStorage;
    const g1 = () => storage.group("g1")!;
    const g2 = () => storage.group("g2")!;

    beforeEach(async () => {
      harness = makeHarness();
      storage = await harness.open();
      await storage.createGroups([
        { groupId: "g1", membership: MEMBERS },
        { groupId: "g2", membership: membershipOf([A, B]) },
      ]);
    });

    afterEach(async () => {
      await storage.close();
      await harness.cleanup();
    });

    it("reads a new group as its bootstrap: empty log, empty hard state, membership at index 0", () => {
      const view = observeGroup(g1());
      expect(view.firstIndex).toBe(1);
      expect(view.lastIndex).toBe(0);
      expect(g1().term(0)).toBe(0);
      expect(g1().term(1)).toBeUndefined();
      expect(view.initialState).toEqual({
        hardState: hardState(0, undefined, 0),
        membership: MEMBERS,
      });
      expect(view.snapshot).toEqual({
        metadata: { index: 0, term: 0, membership: MEMBERS },
        data: [],
      });
      expect(storage.groupIds().sort()).toEqual(["g1", "g2"]);
      expect(storage.group("nope")).toBeUndefined();
      expect(storage.group("g1")).toBe(g1());
    });

    it("keeps an existing group when it is created again", async () => {
      await storage.write([{ groupId: "g1", entries: normals(1, 3, 1) }]);
      await storage.createGroups([{ groupId: "g1", membership: membershipOf([C]) }]);
      expect(g1().lastIndex()).toBe(3);
      expect(g1().initialState().membership).toEqual(MEMBERS);
    });

    it("appends entries of every type and reads them back with their bytes as Uint8Array", async () => {
      const entries: Entry[] = [
        normal(1, 1, noiseBytes(300, 7)),
        { index: 2, term: 1, type: "noop" },
        { ...config, index: 3, term: 2 },
        normal(4, 2, new Uint8Array(0)),
      ];
      await storage.write([{ groupId: "g1", entries }]);
      const read = g1().entries(1, 5, Number.POSITIVE_INFINITY);
      expect(read).toEqual(entries);
      const first = read[0]!;
      expect(first.type === "normal" && first.data.constructor).toBe(Uint8Array);
      expect([g1().term(1), g1().term(2), g1().term(3), g1().term(4)]).toEqual([1, 1, 2, 2]);
      expect(g1().term(5)).toBeUndefined();
    });

    it("replaces a conflicting suffix: an entry at an existing index replaces it and all after", async () => {
      await storage.write([{ groupId: "g1", entries: normals(1, 5, 1) }]);
      await storage.write([{ groupId: "g1", entries: normals(3, 3, 2) }]);
      expect(g1().lastIndex()).toBe(3);
      expect(g1().entries(1, 4, Number.POSITIVE_INFINITY)).toEqual([
        ...normals(1, 2, 1),
        normal(3, 2),
      ]);
      await storage.write([{ groupId: "g1", entries: normals(2, 6, 3) }]);
      expect(g1().lastIndex()).toBe(6);
      expect(g1().entries(1, 7, Number.POSITIVE_INFINITY)).toEqual([
        normal(1, 1),
        ...normals(2, 6, 3),
      ]);
    });

    it("applies the parts of one batch in order, several writes to one group included", async () => {
      await storage.write([
        { groupId: "g1", entries: normals(1, 4, 1) },
        { groupId: "g1", entries: normals(3, 5, 2), hardState: hardState(2, "b", 2) },
        { groupId: "g2", entries: normals(1, 1, 1) },
        { groupId: "g1", entries: normals(6, 6, 2) },
      ]);
      expect(observeGroup(g1()).entries).toEqual([...normals(1, 2, 1), ...normals(3, 6, 2)]);
      expect(g1().initialState().hardState).toEqual(hardState(2, "b", 2));
      expect(g2().lastIndex()).toBe(1);
    });

    it("rejects an append that leaves a hole, and the whole batch changes nothing", async () => {
      await storage.write([{ groupId: "g1", entries: normals(1, 2, 1) }]);
      const before = observeNode(storage);
      await expect(
        storage.write([
          { groupId: "g2", entries: normals(1, 3, 1), hardState: hardState(1, "a", 0) },
          { groupId: "g1", entries: normals(4, 5, 1) },
        ]),
      ).rejects.toBeInstanceOf(AssertionError);
      expect(observeNode(storage)).toEqual(before);
    });

    it("rejects a write to an unknown group and non-contiguous entries", async () => {
      await expect(
        storage.write([{ groupId: "nope", entries: normals(1, 1, 1) }]),
      ).rejects.toBeInstanceOf(AssertionError);
      await expect(
        storage.write([{ groupId: "g1", entries: [normal(1, 1), normal(3, 1)] }]),
      ).rejects.toBeInstanceOf(AssertionError);
      expect(g1().lastIndex()).toBe(0);
    });

    it("stops entries() once past bytesMax but always returns at least one", async () => {
      await storage.write([{ groupId: "g1", entries: normals(1, 10, 1) }]);
      const size = entrySizeBytes(normal(1, 1));
      expect(g1().entries(1, 11, 0)).toHaveLength(1);
      expect(g1().entries(1, 11, size * 3)).toHaveLength(3);
      expect(g1().entries(1, 11, size * 3 + 1)).toHaveLength(3);
      expect(g1().entries(4, 6, Number.POSITIVE_INFINITY)).toEqual(normals(4, 5, 1));
      expect(g1().entries(4, 4, 0)).toEqual([]);
      expect(() => g1().entries(0, 3, 100)).toThrow(AssertionError);
      expect(() => g1().entries(1, 12, 100)).toThrow(AssertionError);
    });

    it("persists the hard state, vote absent or present", async () => {
      await storage.write([{ groupId: "g1", hardState: hardState(3, "c", 0) }]);
      expect(g1().initialState().hardState).toEqual(hardState(3, "c", 0));
      await storage.write([{ groupId: "g1", hardState: hardState(4, undefined, 0) }]);
      expect(g1().initialState().hardState).toEqual(hardState(4, undefined, 0));
      expect(g2().initialState().hardState).toEqual(hardState(0, undefined, 0));
    });

    it("installs a received snapshot: it replaces the log and raises the commit index", async () => {
      await storage.write([
        { groupId: "g1", entries: normals(1, 8, 1), hardState: hardState(1, "a", 3) },
      ]);
      const snapshot = snapshotAt(5, 1, noiseBytes(100, 3), membershipOf([A, C]));
      await storage.write([{ groupId: "g1", snapshot }]);
      expect(observeGroup(g1())).toEqual({
        firstIndex: 6,
        lastIndex: 5,
        terms: [undefined, 1, undefined],
        entries: [],
        initialState: { hardState: hardState(1, "a", 5), membership: membershipOf([A, C]) },
        snapshot: { metadata: snapshot.metadata, data: [...snapshot.data] },
      });
      await storage.write([{ groupId: "g1", snapshot: snapshotAt(4, 1, new Uint8Array([1])) }]);
      expect(g1().snapshot().metadata.index).toBe(5);
      await storage.write([
        {
          groupId: "g1",
          snapshot: snapshotAt(9, 2, new Uint8Array([2])),
          entries: normals(10, 11, 2),
        },
      ]);
      expect([g1().firstIndex(), g1().lastIndex(), g1().term(9), g1().term(10)]).toEqual([
        10, 11, 2, 2,
      ]);
    });

    it("records a snapshot the state machine took, keeping the log until compaction", async () => {
      await storage.write([{ groupId: "g1", entries: [...normals(1, 3, 1), ...normals(4, 6, 2)] }]);
      const data = noiseBytes(2500, 11);
      const snapshot = await storage.createSnapshot("g1", 4, membershipOf([A]), data);
      expect(snapshot).toEqual({
        metadata: { index: 4, term: 2, membership: membershipOf([A]) },
        data,
      });
      expect(g1().firstIndex()).toBe(1);
      expect(g1().snapshot()).toEqual(snapshot);
      expect(g1().initialState().membership).toEqual(membershipOf([A]));
      const older = await storage.createSnapshot("g1", 2, MEMBERS, new Uint8Array([9]));
      expect(older.metadata.index).toBe(4);
      expect([...older.data]).toEqual([...data]);
      await expect(storage.createSnapshot("g1", 7, MEMBERS, data)).rejects.toBeInstanceOf(
        AssertionError,
      );
    });

    it("compacts entries at and below an index covered by the snapshot", async () => {
      await storage.write([{ groupId: "g1", entries: [...normals(1, 3, 1), ...normals(4, 6, 2)] }]);
      await storage.createSnapshot("g1", 5, MEMBERS, new Uint8Array([1, 2]));
      await storage.write([{ groupId: "g1", compactThrough: 3 }]);
      expect([
        g1().firstIndex(),
        g1().lastIndex(),
        g1().term(2),
        g1().term(3),
        g1().term(4),
      ]).toEqual([4, 6, undefined, 1, 2]);
      expect(() => g1().entries(3, 5, 100)).toThrow(AssertionError);
      await storage.write([{ groupId: "g1", compactThrough: 2 }]);
      expect(g1().firstIndex()).toBe(4);
      await expect(storage.write([{ groupId: "g1", compactThrough: 6 }])).rejects.toBeInstanceOf(
        AssertionError,
      );
      await storage.write([{ groupId: "g1", compactThrough: 5, entries: normals(7, 7, 2) }]);
      expect(observeGroup(g1()).entries).toEqual([normal(6, 2), normal(7, 2)]);
      expect(g1().term(5)).toBe(2);
    });

    it("compacts to an entry rewritten earlier in the same batch with that entry's new term", async () => {
      // Raft never rewrites entries a snapshot covers; MemoryStorage allows it, and so must we.
      await storage.write([{ groupId: "g1", entries: normals(1, 6, 1) }]);
      await storage.createSnapshot("g1", 5, MEMBERS, new Uint8Array([5]));
      await storage.write([
        { groupId: "g1", entries: normals(3, 6, 2) },
        { groupId: "g1", compactThrough: 4 },
      ]);
      expect([g1().firstIndex(), g1().term(4), g1().term(5)]).toEqual([5, 2, 2]);
    });

    it("ignores appended entries at or below the log head", async () => {
      await storage.write([{ groupId: "g1", snapshot: snapshotAt(5, 2, new Uint8Array([1])) }]);
      await storage.write([{ groupId: "g1", entries: normals(3, 7, 2) }]);
      expect([g1().firstIndex(), g1().lastIndex()]).toEqual([6, 7]);
      await storage.write([{ groupId: "g1", entries: normals(2, 4, 2) }]);
      expect(g1().lastIndex()).toBe(7);
    });

    it("keeps groups isolated from each other", async () => {
      await storage.write([
        { groupId: "g1", entries: normals(1, 5, 1), hardState: hardState(1, "a", 2) },
        { groupId: "g2", entries: normals(1, 2, 3), hardState: hardState(3, "b", 1) },
      ]);
      await storage.write([{ groupId: "g1", entries: normals(1, 1, 2) }]);
      await storage.createSnapshot("g2", 2, MEMBERS, new Uint8Array([4]));
      await storage.write([{ groupId: "g2", compactThrough: 2 }]);
      expect(observeGroup(g1()).entries).toEqual([normal(1, 2)]);
      expect(g1().snapshot().metadata.index).toBe(0);
      expect(observeGroup(g2())).toMatchObject({
        firstIndex: 3,
        lastIndex: 2,
        terms: [undefined, 3, undefined],
      });
      expect(g2().initialState().hardState).toEqual(hardState(3, "b", 1));
    });

    it("removes groups with all their data; a group created again starts empty", async () => {
      await storage.write([
        { groupId: "g1", entries: normals(1, 3, 1), hardState: hardState(1, "a", 1) },
      ]);
      await storage.createSnapshot("g1", 2, MEMBERS, noiseBytes(50, 1));
      await storage.removeGroups(["g1", "nope"]);
      expect(storage.group("g1")).toBeUndefined();
      expect(storage.groupIds()).toEqual(["g2"]);
      await storage.createGroups([{ groupId: "g1", membership: membershipOf([B]) }]);
      expect(observeGroup(storage.group("g1")!)).toEqual({
        firstIndex: 1,
        lastIndex: 0,
        terms: [0, undefined],
        entries: [],
        initialState: { hardState: hardState(0, undefined, 0), membership: membershipOf([B]) },
        snapshot: { metadata: { index: 0, term: 0, membership: membershipOf([B]) }, data: [] },
      });
    });

    it("refuses group ids outside [A-Za-z0-9_-]{1,64}", async () => {
      await expect(
        storage.createGroups([{ groupId: "a.b", membership: MEMBERS }]),
      ).rejects.toBeInstanceOf(AssertionError);
      expect(storage.groupIds().sort()).toEqual(["g1", "g2"]);
    });

    it("rejects every call after close() with a typed error", async () => {
      await storage.close();
      const rejection = await storage
        .write([{ groupId: "g1", entries: normals(1, 1, 1) }])
        .catch((e: unknown) => e);
      expect(isStorageClosedError(rejection)).toBe(true);
      await expect(storage.createGroups([])).rejects.toSatisfy(isStorageClosedError);
      await storage.close();
    });

    it("stores node metadata by key: absent, set, replaced, and the caller's buffer not kept", async () => {
      expect(storage.metadata("hosted-groups")).toBeUndefined();
      const value = new TextEncoder().encode("one");
      await storage.setMetadata("hosted-groups", value);
      value.fill(0);
      expect(new TextDecoder().decode(storage.metadata("hosted-groups"))).toBe("one");
      await storage.setMetadata("hosted-groups", new TextEncoder().encode("two"));
      expect(new TextDecoder().decode(storage.metadata("hosted-groups"))).toBe("two");
      expect(storage.metadata("other")).toBeUndefined();
    });

    it.runIf(makeHarness().reopen !== undefined)(
      "keeps node metadata across a reopen",
      async () => {
        await storage.setMetadata("hosted-groups", Uint8Array.from([1, 2, 3]));
        storage = await harness.reopen!(storage);
        expect(storage.metadata("hosted-groups")).toEqual(Uint8Array.from([1, 2, 3]));
      },
    );

    it.runIf(makeHarness().reopen !== undefined)(
      "gives back exactly what was written after a reopen",
      async () => {
        await storage.write([
          {
            groupId: "g1",
            entries: [...normals(1, 4, 1), { ...config, index: 5, term: 2 }],
            hardState: hardState(2, "c", 4),
          },
          { groupId: "g2", entries: normals(1, 9, 1) },
        ]);
        await storage.createSnapshot("g2", 6, membershipOf([A, B, C]), noiseBytes(3000, 5));
        await storage.write([
          {
            groupId: "g2",
            compactThrough: 4,
            entries: normals(8, 8, 3),
            hardState: hardState(3, undefined, 6),
          },
        ]);
        await storage.createGroups([{ groupId: "g3", membership: membershipOf([C]) }]);
        await storage.write([{ groupId: "g3", snapshot: snapshotAt(40, 4, noiseBytes(10, 2)) }]);
        const before = observeNode(storage);
        storage = await harness.reopen!(storage);
        expect(observeNode(storage)).toEqual(before);
        await storage.write([{ groupId: "g1", entries: normals(6, 6, 2) }]);
        expect(storage.group("g1")!.lastIndex()).toBe(6);
      },
    );
  });
}
