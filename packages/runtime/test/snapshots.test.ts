import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LmdbNodeStorage, type NodeStorage } from "@flotilla/storage-lmdb";
import type { CommittedEvent, FlotillaNodeOptions } from "../src/index.js";
import { TestCluster, waitFor, type TestNode } from "./helpers.js";

let cluster: TestCluster | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

/** Low thresholds: a snapshot every 20 applied entries, 5 entries kept below it. */
const LOW: Partial<FlotillaNodeOptions> = {
  snapshotEntriesThreshold: 20,
  compactionTrailingEntries: 5,
};

async function start(storageOf?: (id: string) => Promise<NodeStorage>): Promise<TestCluster> {
  const c = await TestCluster.start(
    3,
    ["g0"],
    LOW,
    (index) => ({ electionTicks: index === 0 ? 3 : 10 }),
    storageOf,
  );
  await c.electAll(["g0"]);
  return c;
}

async function proposeMany(leader: TestNode, count: number, prefix = "k"): Promise<number> {
  const group = leader.groups.get("g0")!.group;
  let last = 0;
  for (let i = 0; i < count; i++) {
    last = (await group.propose({ key: `${prefix}${i}`, value: `${i}` })).index;
  }
  return last;
}

const snapshotIndex = (n: TestNode) => n.storage.group("g0")!.snapshot().metadata.index;
const firstIndex = (n: TestNode) => n.storage.group("g0")!.firstIndex();
const digestOf = (n: TestNode) => n.groups.get("g0")!.stateMachine.digest();

describe("automatic snapshots and compaction", () => {
  it("snapshots every replica past the entry threshold, compacts its log, states identical", async () => {
    const c = (cluster = await start());
    const leader = c.leaderOf("g0")!;
    const lastIndex = await proposeMany(leader, 100);
    await c.driveUntil(
      () => c.nodes.every((n) => snapshotIndex(n) >= 80 && firstIndex(n) > 1),
      "every node snapshotted past 80 and compacted",
    );
    await c.driveUntil(
      () => c.nodes.every((n) => n.node.isIdle() && digestOf(n) === digestOf(leader)),
      "every replica applied everything",
    );
    for (const n of c.nodes) {
      expect(snapshotIndex(n)).toBeGreaterThanOrEqual(80);
      expect(snapshotIndex(n)).toBeLessThanOrEqual(lastIndex);
      // The trailing entries below the snapshot stay in the log.
      expect(firstIndex(n)).toBeGreaterThan(1);
      expect(firstIndex(n)).toBeLessThanOrEqual(snapshotIndex(n) - 5 + 1);
      expect(n.groups.get("g0")!.stateMachine.values.size).toBe(100);
    }
    expect(new Set(c.nodes.map(digestOf)).size).toBe(1);
  });

  it("a follower cut off while the log is compacted catches up through InstallSnapshot", async () => {
    const c = (cluster = await start());
    const leader = c.leaderOf("g0")!;
    const follower = c.nodes.find((n) => n !== leader)!;
    const restore = vi.spyOn(follower.groups.get("g0")!.stateMachine, "restore");
    c.network.isolate(
      follower.id,
      c.nodes.map((n) => n.id),
    );
    await proposeMany(leader, 100);
    await c.driveUntil(
      () => snapshotIndex(leader) >= 80 && firstIndex(leader) > 50,
      "the leader snapshotted and compacted past what the follower has",
    );
    expect(restore).not.toHaveBeenCalled();
    c.network.healAll();
    await c.driveUntil(
      () => digestOf(follower) === digestOf(leader),
      "the follower caught up through a snapshot",
    );
    expect(restore).toHaveBeenCalled();
    expect(follower.groups.get("g0")!.stateMachine.values.size).toBe(100);
    await c.driveUntil(
      () => new Set(c.nodes.map(digestOf)).size === 1,
      "every replica is identical",
    );
  });

  it("a restarted node restores from its snapshot and re-applies only the entries after it", async () => {
    const root = await mkdtemp(join(tmpdir(), "flotilla-snapshots-"));
    dataDir = root;
    const open = (id: string) => LmdbNodeStorage.open(join(root, id), { durability: "strict" });
    const c = (cluster = await start(open));
    const leader = c.leaderOf("g0")!;
    await proposeMany(leader, 100);
    const victim = c.nodes[2]!;
    await c.driveUntil(
      () => snapshotIndex(victim) >= 80 && digestOf(victim) === digestOf(leader),
      "n3 snapshotted and applied everything",
    );
    await victim.node.stop();
    const storage = await open("n3");
    const stored = storage.group("g0")!.snapshot().metadata.index;
    expect(stored).toBeGreaterThanOrEqual(80);
    const restarted = await c.restart(2, storage);
    const stateMachine = restarted.groups.get("g0")!.stateMachine;
    // Restored before any entry applied: the state at the snapshot index.
    expect(stateMachine.appliedIndexes).toEqual([]);
    expect(stateMachine.values.size).toBeGreaterThan(0);
    await proposeMany(leader, 3, "after");
    await c.driveUntil(
      () => digestOf(restarted) === digestOf(leader),
      "the restarted node caught up",
    );
    expect(stateMachine.values.size).toBe(103);
    expect(stateMachine.appliedIndexes.length).toBeGreaterThan(0);
    expect(stateMachine.appliedIndexes.every((index) => index > stored)).toBe(true);
    // Each entry after the snapshot applied once.
    expect(new Set(stateMachine.appliedIndexes).size).toBe(stateMachine.appliedIndexes.length);
  });

  it("snapshots past the bytes threshold too, and a failed snapshot is retried, not fatal", async () => {
    const c = (cluster = await TestCluster.start(
      3,
      ["g0"],
      { snapshotEntriesThreshold: 1_000_000, snapshotBytesThreshold: 512 },
      (index) => ({ electionTicks: index === 0 ? 3 : 10 }),
    ));
    await c.electAll(["g0"]);
    const leader = c.leaderOf("g0")!;
    const createSnapshot = leader.storage.createSnapshot.bind(leader.storage);
    let failures = 0;
    leader.storage.createSnapshot = (...args) => {
      if (failures++ === 0) return Promise.reject(new Error("injected snapshot failure"));
      return createSnapshot(...args);
    };
    await proposeMany(leader, 40);
    await c.driveUntil(() => snapshotIndex(leader) > 0, "the leader snapshotted after a failure");
    expect(failures).toBeGreaterThan(1);
    // The node still runs: more proposals commit.
    await proposeMany(leader, 2, "more");
    expect(leader.groups.get("g0")!.stateMachine.values.size).toBe(42);
  });

  it("committed$({ fromIndex: 1 }) on a compacted group starts with a snapshot event", async () => {
    const c = (cluster = await start());
    const leader = c.leaderOf("g0")!;
    const lastIndex = await proposeMany(leader, 100);
    await c.driveUntil(() => firstIndex(leader) > 1, "the leader compacted its log");
    const events: CommittedEvent[] = [];
    leader.groups
      .get("g0")!
      .group.committed$({ fromIndex: 1 })
      .subscribe((event) => events.push(event));
    await waitFor(() => events.at(-1)?.index === lastIndex, {
      description: "the subscriber caught up",
    });
    const first = events[0]!;
    expect(first.type).toBe("snapshot");
    expect(first.index).toBeGreaterThanOrEqual(firstIndex(leader) - 1);
    const rest = events.slice(1);
    expect(rest.every((event) => event.type === "entry")).toBe(true);
    expect(rest.map((event) => event.index)).toEqual(
      Array.from({ length: rest.length }, (_, i) => first.index + 1 + i),
    );
  });
});
