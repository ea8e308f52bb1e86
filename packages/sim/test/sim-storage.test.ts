import { describe, expect, it } from "vitest";
import { membershipOf, nodeId, type Entry } from "@flotilla/raft";
import { SimStorage } from "../src/sim-storage.js";

const a = nodeId("a");
const b = nodeId("b");

function entry(index: number, term: number): Entry {
  return { index, term, type: "normal", data: new Uint8Array([index]) };
}

describe("SimStorage", () => {
  it("a crash loses every write that was not synced", () => {
    const storage = new SimStorage(membershipOf([a, b]));
    storage.append([entry(1, 1), entry(2, 1)]);
    storage.setHardState({ term: 1, vote: a, commitIndex: 1 });
    storage.sync();
    storage.append([entry(3, 2)]);
    storage.setHardState({ term: 2, vote: b, commitIndex: 2 });
    expect(storage.lastIndex()).toBe(3);
    storage.crash(0);
    expect(storage.lastIndex()).toBe(2);
    expect(storage.initialState().hardState).toEqual({ term: 1, vote: a, commitIndex: 1 });
  });

  it("a crash may keep a prefix of the unsynced writes, in order", () => {
    const storage = new SimStorage(membershipOf([a, b]));
    storage.append([entry(1, 1)]);
    storage.setHardState({ term: 1, vote: a, commitIndex: 0 });
    storage.crash(1);
    expect(storage.lastIndex()).toBe(1);
    expect(storage.initialState().hardState.term).toBe(0);
  });

  it("keeps synced writes across any number of crashes", () => {
    const storage = new SimStorage(membershipOf([a]));
    storage.append([entry(1, 1)]);
    storage.sync();
    storage.crash(0);
    storage.crash(0);
    expect(storage.entries(1, 2, 1024)).toEqual([entry(1, 1)]);
    expect(storage.unsyncedWriteCount()).toBe(0);
  });

  it("a truncated conflicting suffix comes back if the truncation was not synced", () => {
    const storage = new SimStorage(membershipOf([a]));
    storage.append([entry(1, 1), entry(2, 1)]);
    storage.sync();
    storage.append([entry(2, 2)]);
    expect(storage.term(2)).toBe(2);
    storage.crash(0);
    expect(storage.term(2)).toBe(1);
  });

  it("restores a compacted log that keeps trailing entries below the snapshot", () => {
    const storage = new SimStorage(membershipOf([a]));
    storage.append([1, 2, 3, 4, 5].map((index) => entry(index, 1)));
    storage.createSnapshot(4, membershipOf([a]), new Uint8Array([9]));
    storage.compact(2);
    storage.sync();
    storage.crash(0);
    expect(storage.firstIndex()).toBe(3);
    expect(storage.lastIndex()).toBe(5);
    expect(storage.snapshot().metadata.index).toBe(4);
    expect(storage.snapshot().data).toEqual(new Uint8Array([9]));
    expect(storage.term(2)).toBe(1);
  });

  it("restores a snapshot installed from the leader", () => {
    const storage = new SimStorage(membershipOf([a]));
    storage.applySnapshot({
      metadata: { index: 10, term: 3, membership: membershipOf([a, b]) },
      data: new Uint8Array([1]),
    });
    storage.append([entry(11, 3)]);
    storage.sync();
    storage.crash(0);
    expect(storage.firstIndex()).toBe(11);
    expect(storage.lastIndex()).toBe(11);
    expect(storage.initialState().membership.voters).toEqual([a, b]);
    expect(storage.initialState().hardState.commitIndex).toBe(10);
  });
});
