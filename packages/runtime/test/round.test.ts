import { afterEach, describe, expect, it } from "vitest";
import { TestCluster, outcomeOf, settle, waitFor, type TestNode } from "./helpers.js";

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe("rounds", () => {
  it("replicates while the leader's own write is in flight, but answers only once it is durable", async () => {
    cluster = await TestCluster.start(3, ["g0"], {}, (index) => ({
      electionTicks: index === 0 ? 3 : 10,
    }));
    await cluster.electAll(["g0"]);
    await settle(20);
    const leader = cluster.leaderOf("g0")!;
    const release = holdWrites(leader);
    const appendedBefore = cluster.nodes.map((n) => n.writes.length);
    const sendsBefore = leader.sends.length;
    const outcome = outcomeOf(leader.groups.get("g0")!.group.propose({ key: "a", value: "1" }));
    await waitFor(() => release.held() === 1, { description: "the leader's write started" });
    // AppendEntries leave at once (dissertation §10.2.1) and both followers store the entry...
    await waitFor(() => leader.sends.length > sendsBefore, { description: "appends sent" });
    const followers = cluster.nodes.filter((n) => n !== leader);
    const appended = (n: TestNode): boolean =>
      n.writes
        .slice(appendedBefore[cluster!.nodes.indexOf(n)])
        .some((batch) => batch.some((write) => (write.entries?.length ?? 0) > 0));
    await waitFor(() => followers.every(appended), {
      description: "both followers stored the entry",
    });
    await settle(20);
    // ...but the leader counts its own copy, and so applies and answers, only once it is stored.
    expect(outcome.settled).toBe(false);
    release.all();
    await waitFor(() => outcome.settled, { description: "the proposal resolves" });
    expect(outcome.error).toBeUndefined();
  });

  it("sends an append acknowledgement only once the follower's write is durable", async () => {
    cluster = await TestCluster.start(3, ["g0"], {}, (index) => ({
      electionTicks: index === 0 ? 3 : 10,
    }));
    await cluster.electAll(["g0"]);
    await settle(20);
    const leader = cluster.leaderOf("g0")!;
    const followers = cluster.nodes.filter((n) => n !== leader);
    const releases = followers.map((follower) => holdWrites(follower));
    const sendsBefore = followers.map((follower) => follower.sends.length);
    const outcome = outcomeOf(leader.groups.get("g0")!.group.propose({ key: "a", value: "1" }));
    await waitFor(() => releases.every((release) => release.held() === 1), {
      description: "both followers' writes started",
    });
    await settle(20);
    expect(followers.map((follower) => follower.sends.length)).toEqual(sendsBefore);
    expect(outcome.settled).toBe(false);
    for (const release of releases) release.all();
    await waitFor(() => outcome.settled, { description: "the proposal resolves" });
    expect(outcome.error).toBeUndefined();
  });

  it("writes a commit-only hard state with the next write, never alone", async () => {
    cluster = await TestCluster.start(3, ["g0"], {}, (index) => ({
      electionTicks: index === 0 ? 3 : 10,
    }));
    await cluster.electAll(["g0"]);
    await settle(20);
    const leader = cluster.leaderOf("g0")!;
    const before = cluster.nodes.map((n) => n.writes.length);
    for (const value of ["1", "2", "3"]) {
      await leader.groups.get("g0")!.group.propose({ key: "a", value });
      await settle(10);
    }
    for (const [i, n] of cluster.nodes.entries()) {
      const batches = n.writes.slice(before[i]);
      expect(batches.length).toBeGreaterThan(0);
      for (const batch of batches) {
        // Every write carries entries; the commit index only rides along.
        expect(batch.some((write) => (write.entries?.length ?? 0) > 0)).toBe(true);
      }
      // The commit of an earlier proposal reached the disk with a later write.
      const commits = batches.flatMap((batch) =>
        batch.flatMap((write) =>
          write.hardState === undefined ? [] : [write.hardState.commitIndex],
        ),
      );
      expect(Math.max(...commits)).toBeGreaterThan(0);
    }
  });

  it("runs 3 nodes × 100 groups: every proposal resolves and every replica agrees", async () => {
    const groupIds = Array.from({ length: 100 }, (_, i) => `g${i}`);
    cluster = await TestCluster.start(3, groupIds);
    await cluster.electAll(groupIds);
    const c = cluster;
    const results = await Promise.all(
      groupIds.map((groupId) =>
        c.leaderOf(groupId)!.groups.get(groupId)!.group.propose({ key: "k", value: groupId }),
      ),
    );
    expect(results.every((result) => result.previous === undefined)).toBe(true);
    const replicaOf = (n: TestNode, groupId: string) => n.groups.get(groupId)!.stateMachine;
    await waitFor(
      () => groupIds.every((g) => c.nodes.every((n) => replicaOf(n, g).values.get("k") === g)),
      { description: "every replica applied its group's command" },
    );
    // Group commit: far fewer writes than groups × rounds of work.
    for (const n of c.nodes) {
      expect(n.node.stats().storageWrites).toBeLessThan(n.node.stats().rounds);
      expect(Math.max(...n.writes.map((batch) => batch.length))).toBeGreaterThan(10);
    }
  });
});

/** Holds `node`'s storage writes open until `all()` lets them (and later ones) through. */
function holdWrites(node: TestNode): { held: () => number; all: () => void } {
  const storage = node.storage;
  const write = storage.write.bind(storage);
  const waiting: (() => void)[] = [];
  let held = 0;
  storage.write = (batch) => {
    held++;
    return new Promise<void>((resolve, reject) => {
      waiting.push(() => void write(batch).then(resolve, reject));
    });
  };
  return {
    held: () => held,
    all: () => {
      storage.write = write;
      for (const go of waiting.splice(0)) go();
    },
  };
}
