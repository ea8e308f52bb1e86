/**
 * Session commands through a node (`proposeSession`): a retried (client, sequence) applies once
 * on every replica and gets the first outcome — also after a leader change, and on a replica
 * that learned the session table from a snapshot.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TestCluster, type TestNode } from "../helpers.js";

const encode = (command: { key: string; value: string }) =>
  new TextEncoder().encode(JSON.stringify(command));

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

function appliedCount(n: TestNode, groupId: string): number {
  return n.groups.get(groupId)!.stateMachine.appliedIndexes.length;
}

describe("session commands", () => {
  it("a retried (client, sequence) applies once and answers with the first result", async () => {
    cluster = await TestCluster.start(3, ["g0"]);
    const c = cluster;
    await c.electAll(["g0"]);
    const leader = c.leaderOf("g0")!;
    const session = { clientId: "client-a", sequence: 1, respondedTo: 0 };

    const first = await leader.node.proposeSession("g0", session, encode({ key: "k", value: "1" }));
    const retry = await leader.node.proposeSession("g0", session, encode({ key: "k", value: "1" }));

    expect(retry).toEqual(first);
    await c.driveUntil(
      () => c.nodes.every((n) => appliedCount(n, "g0") === 1),
      "every replica applied the command once",
    );
    await c.runTicks(5);
    expect(c.nodes.map((n) => appliedCount(n, "g0"))).toEqual([1, 1, 1]);
  });

  it("a retry while the first copy is still in flight is not appended again: committed$ shows it once", async () => {
    cluster = await TestCluster.start(3, ["g0"]);
    const c = cluster;
    await c.electAll(["g0"]);
    const leader = c.leaderOf("g0")!;
    const group = leader.groups.get("g0")!.group;
    const events: number[] = [];
    const subscription = group.committed$({ fromIndex: 1 }).subscribe((e) => events.push(e.index));
    const session = { clientId: "client-r", sequence: 3, respondedTo: 2 };
    const command = encode({ key: "r", value: "1" });

    const [first, second] = await Promise.all([
      leader.node.proposeSession("g0", session, command),
      leader.node.proposeSession("g0", session, command),
    ]);

    expect(second).toEqual(first);
    await c.runTicks(3);
    expect(events).toHaveLength(1);
    subscription.unsubscribe();
  });

  it("a retry sent to a new leader after a failover is not applied again", async () => {
    cluster = await TestCluster.start(3, ["g0"]);
    const c = cluster;
    await c.electAll(["g0"]);
    const leader = c.leaderOf("g0")!;
    const session = { clientId: "client-b", sequence: 7, respondedTo: 6 };
    const first = await leader.node.proposeSession("g0", session, encode({ key: "x", value: "y" }));
    await c.driveUntil(() => c.nodes.every((n) => appliedCount(n, "g0") === 1), "applied");

    await leader.node.stop();
    const others = c.nodes.filter((n) => n !== leader);
    await c.driveUntil(() => c.leaderOf("g0", others) !== undefined, "a new leader");
    const retry = await c
      .leaderOf("g0", others)!
      .node.proposeSession("g0", session, encode({ key: "x", value: "y" }));

    expect(retry).toEqual(first);
    await c.runTicks(5);
    expect(others.map((n) => appliedCount(n, "g0"))).toEqual([1, 1]);
  });

  it("the session table travels in snapshots: a node restored from one still refuses to re-apply", async () => {
    cluster = await TestCluster.start(3, ["g0"], {
      snapshotEntriesThreshold: 5,
      compactionTrailingEntries: 0,
    });
    const c = cluster;
    await c.electAll(["g0"]);
    const leader = c.leaderOf("g0")!;
    const lagging = c.nodes.find((n) => n !== leader)!;
    c.network.isolate(
      lagging.id,
      c.nodes.map((n) => n.id),
    );
    const session = { clientId: "client-c", sequence: 1, respondedTo: 0 };
    const first = await leader.node.proposeSession("g0", session, encode({ key: "s", value: "1" }));
    for (let i = 0; i < 20; i++) {
      await leader.groups.get("g0")!.group.propose({ key: `fill${i}`, value: "x" });
    }
    c.network.healAll();
    await c.driveUntil(
      () => lagging.groups.get("g0")!.stateMachine.values.get("fill19") === "x",
      "the lagging follower caught up (through a snapshot)",
    );
    expect(lagging.groups.get("g0")!.stateMachine.appliedIndexes.length).toBeLessThan(21);

    // The lagging node leads now, and gets the retry.
    await leader.node.transferLeadership("g0", lagging.id);
    await c.driveUntil(() => c.leaderOf("g0")?.id === lagging.id, "the lagging node leads");
    const retry = await lagging.node.proposeSession(
      "g0",
      session,
      encode({ key: "s", value: "1" }),
    );

    expect(retry).toEqual(first);
    const digests = new Set(c.nodes.map((n) => n.groups.get("g0")!.stateMachine.digest()));
    expect(digests.size).toBe(1);
  });
});
