import { afterEach, describe, expect, it } from "vitest";
import { membershipOf, nodeId } from "@flotilla/raft";
import {
  FlotillaNode,
  InMemoryNetwork,
  isInvalidIdError,
  isNotLeaderError,
  isOverloadedError,
  isSubscriberLagError,
  type CommittedEvent,
  type LeadershipEvent,
} from "../src/index.js";
import { MemoryNodeStorage } from "@flotilla/storage-lmdb";
import { KvStateMachine, TestCluster, outcomeOf, settle, waitFor } from "./helpers.js";

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function clusterWithLeaderN1(options: Parameters<typeof TestCluster.start>[2] = {}) {
  const c = await TestCluster.start(3, ["g0"], options, (index) => ({
    electionTicks: index === 0 ? 3 : 10,
  }));
  await c.electAll(["g0"]);
  const leader = c.leaderOf("g0")!;
  return { c, leader, group: leader.groups.get("g0")!.group };
}

describe("committed$", () => {
  it("errors with SubscriberLagError when one subscriber's queue passes committedBufferMax", async () => {
    const { c, group } = await clusterWithLeaderN1({ committedBufferMax: 2 });
    cluster = c;
    await group.propose({ key: "first", value: "1" });
    const events: CommittedEvent[] = [];
    let failure: unknown;
    group.committed$({ fromIndex: 1 }).subscribe({
      next: (event) => events.push(event),
      error: (error: unknown) => (failure = error),
    });
    await waitFor(() => events.length === 1, { description: "caught up the first entry" });
    // Five commands in one turn: appended, committed and applied in one round.
    const proposals = [1, 2, 3, 4, 5].map((i) => group.propose({ key: `k${i}`, value: `${i}` }));
    await Promise.all(proposals);
    await waitFor(() => failure !== undefined, { description: "the subscriber lagged" });
    expect(isSubscriberLagError(failure)).toBe(true);
    expect((failure as { lastIndex: number }).lastIndex).toBe(events.at(-1)!.index);
  });

  it("starts with a snapshot event when fromIndex lies below the compacted log", async () => {
    const { c, leader, group } = await clusterWithLeaderN1();
    cluster = c;
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await group.propose({ key: `k${i}`, value: `${i}` }));
    const snapshotIndex = results.at(-1)!.index;
    const { storage } = leader;
    const data = leader.groups.get("g0")!.stateMachine.snapshot();
    const members = c.nodes.map((n) => n.id);
    await storage.createSnapshot("g0", snapshotIndex, membershipOf(members), data);
    await storage.write([{ groupId: "g0", compactThrough: snapshotIndex }]);
    const after = await group.propose({ key: "k3", value: "3" });

    const events: CommittedEvent[] = [];
    group.committed$({ fromIndex: 1 }).subscribe((event) => events.push(event));
    await waitFor(() => events.length === 2, { description: "snapshot, then one entry" });
    expect(events[0]).toMatchObject({ type: "snapshot", index: snapshotIndex });
    expect(events[0]!.data).toEqual(data);
    expect(events[1]).toMatchObject({ type: "entry", index: after.index });
  });
});

describe("committed$ catch-up", () => {
  it("catches up a long log in pages while new entries commit, without gaps or duplicates", async () => {
    const { c, group } = await clusterWithLeaderN1();
    cluster = c;
    await Promise.all(
      Array.from({ length: 300 }, (_, i) => group.propose({ key: `k${i}`, value: `${i}` })),
    );
    const events: CommittedEvent[] = [];
    group.committed$({ fromIndex: 1 }).subscribe((event) => events.push(event));
    const more = Promise.all(
      Array.from({ length: 50 }, (_, i) => group.propose({ key: `m${i}`, value: `${i}` })),
    );
    await more;
    await waitFor(() => events.length === 350, { description: "350 entries" });
    await settle(10);
    expect(events).toHaveLength(350);
    for (let i = 1; i < events.length; i++) {
      expect(events[i]!.index).toBeGreaterThan(events[i - 1]!.index);
    }
  });
});

describe("leadership and admission", () => {
  it("rejects proposals past pendingProposalsPerNodeMax with OverloadedError", async () => {
    cluster = await TestCluster.start(
      3,
      ["g0", "g1"],
      { pendingProposalsPerNodeMax: 1 },
      (index) => ({
        electionTicks: index === 0 ? 3 : 30,
      }),
    );
    await cluster.electAll(["g0", "g1"]);
    const n1 = cluster.nodes[0]!;
    const first = outcomeOf(n1.groups.get("g0")!.group.propose({ key: "a", value: "1" }));
    const second = await n1.groups
      .get("g1")!
      .group.propose({ key: "b", value: "2" })
      .catch((e: unknown) => e);
    expect(isOverloadedError(second)).toBe(true);
    expect(second).toMatchObject({ bound: "pendingProposalsPerNodeMax", groupId: undefined });
    await waitFor(() => first.settled, { description: "the first settles" });
    expect(first.error).toBeUndefined();
  });

  it("node.leadership$ reports this node's groups' leadership changes", async () => {
    cluster = await TestCluster.start(3, ["g0", "g1"]);
    const events: LeadershipEvent[] = [];
    cluster.nodes[0]!.node.leadership$.subscribe((event) => events.push(event));
    await cluster.electAll(["g0", "g1"]);
    for (const groupId of ["g0", "g1"]) {
      const leaderId = cluster.leaderOf(groupId)!.id;
      expect(events.filter((e) => e.groupId === groupId).at(-1)).toMatchObject({ leaderId });
    }
  });

  it("a full mailbox rejects proposals with OverloadedError", async () => {
    const { c, group } = await clusterWithLeaderN1({ mailboxMessagesMax: 1 });
    cluster = c;
    await settle(20); // the clock stands still: traffic ends, mailboxes empty
    const first = outcomeOf(group.propose({ key: "a", value: "1" }));
    const second = await group.propose({ key: "b", value: "2" }).catch((e: unknown) => e);
    expect(isOverloadedError(second)).toBe(true);
    expect((second as { bound: string }).bound).toBe("mailboxMessagesMax");
    await waitFor(() => first.settled, { description: "the first settles" });
    expect(first.error).toBeUndefined();
  });

  it("refuses malformed node, group and member ids with InvalidIdError", async () => {
    const network = new InMemoryNetwork();
    const bad = await FlotillaNode.start({
      nodeId: "no spaces",
      storage: new MemoryNodeStorage(),
      transport: network.endpoint(nodeId("n9")),
    }).catch((e: unknown) => e);
    expect(isInvalidIdError(bad)).toBe(true);
    const node = await FlotillaNode.start({
      nodeId: "n9",
      storage: new MemoryNodeStorage(),
      transport: network.endpoint(nodeId("n9")),
    });
    const stateMachine = new KvStateMachine();
    const badGroup = await node
      .group("a.b", { members: ["n9"], stateMachine })
      .catch((e: unknown) => e);
    expect(isInvalidIdError(badGroup)).toBe(true);
    const badMember = await node
      .group("g", { members: ["n9", "x*"], stateMachine })
      .catch((e: unknown) => e);
    expect(isInvalidIdError(badMember)).toBe(true);
    await node.stop();
  });

  it("rejects a read with NotLeaderError while no leader is known", async () => {
    cluster = await TestCluster.start(3, ["g0"]);
    const error = await cluster.nodes[0]!.groups.get("g0")!
      .group.read("k")
      .catch((e: unknown) => e);
    expect(isNotLeaderError(error)).toBe(true);
    expect((error as { leaderHint: unknown }).leaderHint).toBeUndefined();
  });

  it("leaderOnly's unsubscribe aborts running work; stop aborts it and cancels the timer", async () => {
    const { c, leader } = await clusterWithLeaderN1();
    cluster = c;
    const signals: AbortSignal[] = [];
    const subscription = leader.node.leaderOnly("g0", ({ signal }) => {
      signals.push(signal);
    });
    leader.node.leaderOnly("g0", ({ signal }) => {
      signals.push(signal);
    });
    expect(signals).toHaveLength(2); // started at once: this replica already leads
    subscription.unsubscribe();
    expect(signals.map((signal) => signal.aborted)).toEqual([true, false]);
    let leadershipCompleted = false;
    leader.node.leadership$.subscribe({ complete: () => (leadershipCompleted = true) });
    const timersBefore = c.clock.timerCount();
    await leader.node.stop();
    expect(signals[1]!.aborted).toBe(true);
    expect(leadershipCompleted).toBe(true);
    expect(c.clock.timerCount()).toBe(timersBefore - 1);
    expect(() => leader.node.leaderOnly("nope", () => undefined)).toThrow(/not hosted/);
  });
});
