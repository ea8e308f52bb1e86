/**
 * When a replica snapshots (snapshotter.ts): past the entry or byte threshold, and only once the
 * commands applied since the last snapshot reach half its size — a large state is not encoded
 * again every few thousand small entries.
 */
import { describe, expect, it } from "vitest";
import pino from "pino";
import { membershipOf, nodeId, type Entry } from "@flotilla/raft";
import type { GroupStorage, NodeStorage } from "../src/node-storage.js";
import { Snapshotter } from "../src/snapshotter.js";

function snapshotter(entriesThreshold: number): Snapshotter {
  const storage = {
    createSnapshot: (_groupId: string, index: number) =>
      Promise.resolve({ metadata: { index, term: 1, membership: membershipOf([nodeId("a")]) } }),
  } as unknown as NodeStorage;
  return new Snapshotter({
    groupId: "g",
    storage,
    groupStorage: {} as GroupStorage,
    policy: { entriesThreshold, bytesThreshold: Number.MAX_SAFE_INTEGER, trailingEntries: 0 },
    logger: pino({ level: "silent" }),
    onStored: () => undefined,
  });
}

function entries(count: number, bytes: number): Entry[] {
  return Array.from({ length: count }, (_, i) => ({
    index: i + 1,
    term: 1,
    type: "normal" as const,
    data: new Uint8Array(bytes),
  }));
}

describe("Snapshotter", () => {
  it("is due past the entry threshold while the state is small", () => {
    const s = snapshotter(10);
    s.applied(entries(9, 100));
    expect(s.due()).toBe(false);
    s.applied(entries(1, 100));
    expect(s.due()).toBe(true);
  });

  it("after a large snapshot, waits until the commands applied reach half its size", async () => {
    const s = snapshotter(10);
    s.applied(entries(10, 100));
    await s.store(10, membershipOf([nodeId("a")]), new Uint8Array(100_000));
    s.applied(entries(10, 100)); // 1,000 bytes: the threshold, not half the state
    expect(s.due()).toBe(false);
    s.applied(entries(490, 100)); // 50,000 bytes in all: half the last snapshot
    expect(s.due()).toBe(true);
  });

  it("counts a restored snapshot's size the same way", () => {
    const s = snapshotter(10);
    s.restored(10_000);
    s.applied(entries(10, 100));
    expect(s.due()).toBe(false);
    s.applied(entries(40, 100));
    expect(s.due()).toBe(true);
  });
});
