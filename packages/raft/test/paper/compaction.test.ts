/**
 * Paper tests for log compaction and InstallSnapshot (Raft §7), on the in-memory TestCluster. The
 * cluster installs snapshots it receives but never takes one itself: each test snapshots and
 * compacts the leader's MemoryStorage directly, as a host would once its state machine applied.
 */
import { describe, expect, it } from "vitest";
import { membershipOf, nodeId, Raft, SeededRandom, type Snapshot } from "../../src/index.js";
import { storageWith } from "../support/paper-helpers.js";
import { TestCluster, bytes, type TestReplica } from "../support/test-cluster.js";
import {
  addNewMember,
  compact,
  ids,
  ofType,
  sentSince,
  tickOnly,
  tickUntil,
} from "../support/scenario-helpers.js";

const T = 10;

/**
 * A group a, b, c led by a in which c missed `missed` proposals and a then compacted its log
 * through everything it applied; a then appends `after` more entries that c also misses.
 */
function followerBehindCompaction(options: { missed?: number; after?: number } = {}): {
  c: TestCluster;
  leader: TestReplica;
  snapshot: Snapshot;
} {
  const c = new TestCluster(["a", "b", "c"]);
  c.elect("a");
  c.isolate("c");
  for (let i = 1; i <= (options.missed ?? 4); i++) c.raft("a").propose(bytes(`before-${i}`));
  c.stabilize();
  const leader = c.get("a");
  const applied = leader.raft.status().appliedIndex;
  const snapshot = compact(
    leader,
    applied,
    leader.raft.status().membership,
    bytes(`state@${applied}`),
  );
  for (let i = 1; i <= (options.after ?? 2); i++) c.raft("a").propose(bytes(`after-${i}`));
  c.stabilize();
  return { c, leader, snapshot };
}

describe("log compaction and InstallSnapshot (§7)", () => {
  it("a follower behind the leader's compaction point receives InstallSnapshot, then ordinary appends (§7)", () => {
    const { c, snapshot } = followerBehindCompaction();
    expect(c.raft("a").status().firstIndex).toBe(snapshot.metadata.index + 1);
    const mark = c.sent.length;

    c.heal();
    tickOnly(c, ["a"]);

    const toC = sentSince(c, mark).filter(
      (m) => m.to === "c" && (m.type === "InstallSnapshot" || m.type === "AppendEntries"),
    );
    const firstSnapshot = toC.findIndex((m) => m.type === "InstallSnapshot");
    expect(firstSnapshot).toBeGreaterThanOrEqual(0);
    expect(ofType(toC, "InstallSnapshot")).toHaveLength(1);
    const appendsAfter = ofType(toC.slice(firstSnapshot + 1), "AppendEntries").filter(
      (m) => m.entries.length > 0,
    );
    expect(appendsAfter[0]?.prevLogIndex).toBe(snapshot.metadata.index);
    expect(c.get("c").storage.snapshot()).toEqual(snapshot);
    expect(c.appliedData("c")).toEqual(["after-1", "after-2"]);
    expect(c.raft("c").status()).toMatchObject({
      commitIndex: c.raft("a").status().commitIndex,
      lastIndex: c.raft("a").status().lastIndex,
    });
  });

  it("after installing a snapshot, a follower's log starts right after it and its membership is the snapshot's (§7)", () => {
    const c = new TestCluster(["a", "b", "c"]);
    c.elect("a");
    c.isolate("c");
    addNewMember(c, "l", membershipOf(ids("a", "b", "c")));
    c.raft("a").changeMembership([{ type: "add-learner", nodeId: nodeId("l") }]);
    c.raft("a").propose(bytes("x"));
    c.stabilize();
    const leader = c.get("a");
    const membership = leader.raft.status().membership;
    expect(membership).toEqual(membershipOf(ids("a", "b", "c"), ids("l")));
    const snapshot = compact(leader, leader.raft.status().appliedIndex, membership, bytes("state"));
    c.raft("a").propose(bytes("y"));
    c.stabilize();

    const follower = c.get("c");
    const heldBefore = follower.raft.status().lastIndex;
    c.heal();
    tickOnly(c, ["a"]);

    expect(follower.raft.status()).toMatchObject({
      firstIndex: snapshot.metadata.index + 1,
      membership,
    });
    expect(follower.storage.firstIndex()).toBe(snapshot.metadata.index + 1);
    expect(follower.storage.initialState().membership).toEqual(membership);
    // What the snapshot covers and c never held arrives as state, never as entries to apply.
    expect(
      follower.applied.filter((e) => e.index > heldBefore && e.index <= snapshot.metadata.index),
    ).toEqual([]);
    expect(c.appliedData("c")).toEqual(["y"]);
  });

  it("a follower ignores a snapshot that does not reach past its commit index, and keeps its log (§7)", () => {
    const c = new TestCluster(["a", "b", "c"]);
    c.elect("a");
    for (const text of ["x", "y", "z"]) c.raft("a").propose(bytes(text));
    c.stabilize();
    const b = c.get("b");
    const before = b.raft.status();
    expect(before.commitIndex).toBe(4);
    const stale: Snapshot = {
      metadata: { index: 3, term: 1, membership: before.membership },
      data: bytes("stale"),
    };
    const mark = c.sent.length;

    b.raft.step({
      type: "InstallSnapshot",
      from: nodeId("a"),
      to: nodeId("b"),
      term: before.term,
      snapshot: stale,
    });
    c.stabilize();

    expect(b.raft.status()).toMatchObject({ firstIndex: 1, lastIndex: 4, commitIndex: 4 });
    expect(b.storage.snapshot().metadata.index).toBe(0);
    expect(ofType(sentSince(c, mark), "AppendEntriesResult").filter((m) => m.from === "b")).toEqual(
      [expect.objectContaining({ success: true, index: 4 })],
    );
  });

  it("a lost InstallSnapshot is sent again once the snapshot state times out back to probing (§7)", () => {
    const { c, snapshot } = followerBehindCompaction();
    c.heal();
    let lost = 0;
    c.drop = (m) => m.type === "InstallSnapshot" && lost++ === 0;
    const mark = c.sent.length;

    tickOnly(c, ["a"]);
    expect(c.raft("a").status().progress?.get(nodeId("c"))?.state).toBe("snapshot");
    expect(c.raft("c").status().lastIndex).toBeLessThan(snapshot.metadata.index);
    const ticks = tickUntil(
      c,
      () => c.raft("c").status().lastIndex === c.raft("a").status().lastIndex,
      {
        max: 4 * T,
      },
    );

    expect(ticks).toBeGreaterThan(0);
    expect(ofType(sentSince(c, mark), "InstallSnapshot").filter((m) => m.to === "c")).toHaveLength(
      2,
    );
    expect(c.get("c").storage.snapshot()).toEqual(snapshot);
    expect(c.appliedData("c")).toEqual(["after-1", "after-2"]);
    expect(c.raft("a").status().progress?.get(nodeId("c"))?.state).toBe("replicate");
  });
});

describe("restart with a host applied index ahead of the stored commit index", () => {
  // A host may write commit-only hard states lazily (the commit index is volatile state in the
  // paper, Figure 2), so a state machine snapshot can be ahead of the stored commit index.
  it("takes the applied index as committed and applies nothing twice", () => {
    const storage = storageWith({ log: [1, 1, 1, 1, 1], term: 1, commitIndex: 2 });
    const raft = new Raft({
      id: nodeId("a"),
      storage,
      random: new SeededRandom(1),
      appliedIndex: 4,
    });
    expect(raft.status().commitIndex).toBe(4);
    expect(raft.status().appliedIndex).toBe(4);
    expect(raft.hasReady() ? raft.ready().committedEntries : []).toEqual([]);
  });
});
