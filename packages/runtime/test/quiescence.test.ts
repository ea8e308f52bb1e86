/**
 * Quiescence in the runtime: idle groups stop ticking and heartbeating, any input wakes them,
 * and node-level liveness (empty batches between nodes) replaces per-group heartbeats for
 * failure detection — a dead leader's groups elect new leaders, and a quiesced leader that lost
 * its quorum stops leading (and its leader-only work) within an election timeout. Driven by a
 * manual clock: every bound below is in ticks, not time.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TestCluster, type TestNode } from "./helpers.js";

const GROUPS = Array.from({ length: 20 }, (_, i) => `g${i}`);
const ELECTION_TICKS = 10;

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

function allQuiesced(nodes: readonly TestNode[], groups: number): boolean {
  return nodes.every((n) => n.node.stats().quiescedReplicas === groups);
}

/** Messages of Raft traffic (not liveness pings) sent by `nodes` since `marks`. */
function raftMessagesSince(nodes: readonly TestNode[], marks: readonly number[]): number {
  let messages = 0;
  nodes.forEach((n, i) => {
    for (const [, , count] of n.sends.slice(marks[i])) messages += count;
  });
  return messages;
}

/** The term of `groupId`'s latest leader as `n` saw it (leader$ replays its latest value). */
function termSeenBy(n: TestNode, groupId: string): number {
  let term = -1;
  n.groups
    .get(groupId)!
    .group.leader$.subscribe((info) => (term = info.term))
    .unsubscribe();
  return term;
}

async function quietCluster(): Promise<TestCluster> {
  const started = await TestCluster.start(3, GROUPS);
  await started.electAll(GROUPS);
  await started.driveUntil(() => allQuiesced(started.nodes, GROUPS.length), "every group sleeps");
  return started;
}

describe("quiescence", () => {
  it("idle groups fall asleep, then many ticks carry no Raft message, only liveness pings", async () => {
    cluster = await quietCluster();
    const marks = cluster.nodes.map((n) => n.sends.length);
    const pings = cluster.nodes.map((n) => n.node.stats().livenessPings);

    await cluster.runTicks(10 * ELECTION_TICKS);

    expect(raftMessagesSince(cluster.nodes, marks)).toBe(0);
    cluster.nodes.forEach((n, i) => {
      // One ping per tick to each of the two peers, whatever the number of groups.
      expect(n.node.stats().livenessPings - (pings[i] ?? 0)).toBe(2 * 10 * ELECTION_TICKS);
    });
    expect(allQuiesced(cluster.nodes, GROUPS.length)).toBe(true);
  });

  it("a proposal wakes a sleeping group, commits on every replica, and the group sleeps again", async () => {
    cluster = await quietCluster();
    const c = cluster;
    const leader = c.leaderOf("g3")!;

    const result = await leader.groups.get("g3")!.group.propose({ key: "k", value: "v" });

    expect(result.previous).toBeUndefined();
    await c.driveUntil(
      () => c.nodes.every((n) => n.groups.get("g3")!.stateMachine.values.get("k") === "v"),
      "every replica applied the proposal",
    );
    await c.driveUntil(() => allQuiesced(c.nodes, GROUPS.length), "g3 sleeps again");
  });

  it("a linearizable read on a follower of a sleeping group wakes it and is answered", async () => {
    cluster = await quietCluster();
    const leader = cluster.leaderOf("g1")!;
    await leader.groups.get("g1")!.group.propose({ key: "colour", value: "blue" });
    const follower = cluster.nodes.find((n) => n !== leader)!;

    expect(await follower.groups.get("g1")!.group.read("colour")).toBe("blue");
  });

  it("stopping a node gets its sleeping groups new leaders on the other nodes", async () => {
    cluster = await quietCluster();
    const c = cluster;
    const victim = c.nodes[0]!;
    const led = GROUPS.filter((g) => c.leaderOf(g) === victim);
    expect(led.length).toBeGreaterThan(0);
    await victim.node.stop();
    const survivors = c.nodes.filter((n) => n !== victim);

    // Liveness needs an election timeout to call the node dead; the election then takes at
    // most the random part of a timeout, plus a retry after a split vote.
    await c.driveUntil(
      () => led.every((g) => c.leaderOf(g, survivors) !== undefined),
      "every group the stopped node led has a new leader",
      6 * ELECTION_TICKS,
    );
    const g = led[0]!;
    const result = await c.leaderOf(g, survivors)!.groups.get(g)!.group.propose({
      key: "after",
      value: "failover",
    });
    expect(result.previous).toBeUndefined();
    // With the stopped node known dead, the groups fall asleep again without it.
    await c.driveUntil(
      () => allQuiesced(survivors, GROUPS.length),
      "every group sleeps again on the two survivors",
    );
  });

  it("after a leader's node dies, one survivor per group campaigns within a few ticks: one election, leaders spread", async () => {
    cluster = await quietCluster();
    const c = cluster;
    const victim = c.nodes[0]!;
    const led = GROUPS.filter((g) => c.leaderOf(g) === victim);
    expect(led.length).toBeGreaterThan(3);
    const termBefore = new Map(led.map((g) => [g, termSeenBy(victim, g)]));
    await victim.node.stop();
    const survivors = c.nodes.filter((n) => n !== victim);
    // An election timeout to call the node dead, then a few rounds: no random timeout to wait
    // out, no split vote to retry.
    await c.driveUntil(
      () => led.every((g) => c.leaderOf(g, survivors) !== undefined),
      "every group the stopped node led has a new leader",
      ELECTION_TICKS + 6,
    );
    for (const g of led) {
      for (const n of survivors) expect(termSeenBy(n, g), g).toBe(termBefore.get(g)! + 1);
    }
    const newLeaders = new Set(led.map((g) => c.leaderOf(g, survivors)!.id));
    expect(newLeaders.size).toBe(2);
  });

  it("groups asleep without a cut-off member catch it up when it returns", async () => {
    cluster = await quietCluster();
    const c = cluster;
    const outsider = c.nodes[2]!;
    const others = c.nodes.slice(0, 2);
    c.network.isolate(
      outsider.id,
      c.nodes.map((n) => n.id),
    );
    await c.driveUntil(
      () => GROUPS.every((g) => c.leaderOf(g, others) !== undefined),
      "every group led by one of the two others",
      6 * ELECTION_TICKS,
    );
    for (const g of GROUPS) {
      await c.leaderOf(g, others)!.groups.get(g)!.group.propose({ key: "while", value: "away" });
    }
    await c.driveUntil(() => allQuiesced(others, GROUPS.length), "asleep without the outsider");

    c.network.healAll();

    await c.driveUntil(
      () =>
        GROUPS.every((g) => outsider.groups.get(g)!.stateMachine.values.get("while") === "away"),
      "the returning member caught up in every group",
    );
    await c.driveUntil(() => allQuiesced(c.nodes, GROUPS.length), "all asleep again, all three");
  });

  it("a sleeping leader cut off from every peer stops leading, and its leader-only work is aborted, within an election timeout and a tick", async () => {
    cluster = await TestCluster.start(3, ["g0"]);
    const c = cluster;
    await c.electAll(["g0"]);
    const leader = c.leaderOf("g0")!;
    let aborted = false;
    leader.node.leaderOnly("g0", ({ signal }) => {
      signal.addEventListener("abort", () => (aborted = true));
      return new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
    });
    await c.driveUntil(() => allQuiesced(c.nodes, 1), "g0 sleeps");
    c.network.isolate(
      leader.id,
      c.nodes.map((n) => n.id),
    );

    await c.runTicks(ELECTION_TICKS + 1);

    expect(aborted).toBe(true);
    expect(c.isLeader(leader, "g0")).toBe(false);
  });

  it("a sleeping group keeps its leader through a long quiet spell (no spurious elections)", async () => {
    cluster = await quietCluster();
    const c = cluster;
    const leaders = GROUPS.map((g) => c.leaderOf(g)?.id);

    await c.runTicks(20 * ELECTION_TICKS);

    expect(GROUPS.map((g) => c.leaderOf(g)?.id)).toEqual(leaders);
  });
});
