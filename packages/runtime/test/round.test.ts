import { afterEach, describe, expect, it } from "vitest";
import { TestCluster, outcomeOf, settle, waitFor, type TestNode } from "./helpers.js";

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe("rounds", () => {
  it("sends nothing until the round's storage write is durable (persist before send)", async () => {
    cluster = await TestCluster.start(3, ["g0"], {}, (index) => ({
      electionTicks: index === 0 ? 3 : 10,
    }));
    await cluster.electAll(["g0"]);
    await settle(20);
    const leader = cluster.leaderOf("g0")!;
    // Hold the leader's next write open.
    const storage = leader.storage;
    const write = storage.write.bind(storage);
    let release: (() => void) | undefined;
    let held = 0;
    storage.write = (batch) => {
      held++;
      return new Promise<void>((resolve) => {
        release = () => void write(batch).then(resolve);
      });
    };
    const sendsBefore = leader.sends.length;
    const outcome = outcomeOf(leader.groups.get("g0")!.group.propose({ key: "a", value: "1" }));
    await waitFor(() => held === 1, { description: "the leader's write started" });
    await settle(20);
    expect(leader.sends.length).toBe(sendsBefore); // AppendEntries wait for the write
    expect(outcome.settled).toBe(false);
    storage.write = write;
    release!();
    await waitFor(() => outcome.settled, { description: "the proposal resolves" });
    expect(outcome.error).toBeUndefined();
    expect(leader.sends.length).toBeGreaterThan(sendsBefore);
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
