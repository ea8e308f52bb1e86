import { afterEach, describe, expect, it } from "vitest";
import {
  isNotLeaderError,
  isOverloadedError,
  isStoppedError,
  type CommittedEvent,
  type LeaderInfo,
} from "../src/index.js";
import { TestCluster, outcomeOf, waitFor, type TestNode } from "./helpers.js";

const GROUPS = Array.from({ length: 8 }, (_, i) => `g${i}`);

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

function groupOf(n: TestNode, groupId: string) {
  return n.groups.get(groupId)!;
}

describe("FlotillaNode (3 nodes over the in-memory network)", () => {
  it("elects, resolves proposals with their results, and leaves every replica identical", async () => {
    cluster = await TestCluster.start(3, GROUPS);
    await cluster.electAll(GROUPS);
    const results = await Promise.all(
      GROUPS.flatMap((groupId) => {
        const leader = cluster!.leaderOf(groupId)!;
        return [1, 2, 3].map((i) =>
          groupOf(leader, groupId).group.propose({ key: `k${i}`, value: `${groupId}-${i}` }),
        );
      }),
    );
    expect(results).toHaveLength(GROUPS.length * 3);
    for (const result of results) expect(result.previous).toBeUndefined();
    const c = cluster;
    await waitFor(
      () =>
        GROUPS.every((groupId) =>
          c.nodes.every((n) => groupOf(n, groupId).stateMachine.values.size === 3),
        ),
      { description: "every replica applied the three commands" },
    );
    for (const groupId of GROUPS) {
      const digests = new Set(c.nodes.map((n) => groupOf(n, groupId).stateMachine.digest()));
      expect(digests.size).toBe(1);
    }
  });

  it("writes every group's Ready of a round in one storage write (group commit)", async () => {
    // n1 times out first in every group, so it leads all of them.
    cluster = await TestCluster.start(3, GROUPS, {}, (index) => ({
      electionTicks: index === 0 ? 3 : 30,
    }));
    await cluster.electAll(GROUPS);
    const [n1, n2, n3] = cluster.nodes as [TestNode, TestNode, TestNode];
    expect(GROUPS.every((groupId) => cluster!.leaderOf(groupId) === n1)).toBe(true);
    await cluster.runTicks(3);
    const writesBefore = cluster.nodes.map((n) => n.writes.length);
    const sendsBefore = n1.sends.length;
    // The clock stands still from here: no ticks, only the proposals' traffic.
    await Promise.all(
      GROUPS.map((groupId) => groupOf(n1, groupId).group.propose({ key: "k", value: groupId })),
    );
    // A proposal resolves before the leader's commit-index write is synced: let it finish.
    await waitFor(() => cluster!.nodes.every((n) => n.node.isIdle()), {
      description: "every node's last round done",
    });
    for (const [i, n] of [n1, n2, n3].entries()) {
      const writes = n.writes.slice(writesBefore[i]);
      const appends = writes.filter((batch) => batch.some((write) => write.entries !== undefined));
      // One write holds the eight groups' new entries.
      expect(appends[0]?.length, `${n.id}'s first append batch`).toBe(GROUPS.length);
      expect(n.node.stats().storageWrites).toBe(n.writes.length);
    }
    // The leader's AppendEntries for eight groups went out as one batch per follower.
    const appendRound = n1.sends.slice(sendsBefore);
    expect(appendRound[0]).toEqual([appendRound[0]![0], n2.id, GROUPS.length]);
    expect(appendRound[1]).toEqual([appendRound[0]![0], n3.id, GROUPS.length]);
  });

  it("sends at most two batches to one node in one round: before and after its write (coalescing)", async () => {
    cluster = await TestCluster.start(3, GROUPS);
    await cluster.electAll(GROUPS);
    await Promise.all(
      GROUPS.map((groupId) =>
        groupOf(cluster!.leaderOf(groupId)!, groupId).group.propose({ key: "k", value: "v" }),
      ),
    );
    await cluster.runTicks(20);
    for (const n of cluster.nodes) {
      const perRound = new Map<string, number>();
      for (const [round, to] of n.sends) {
        const key = `${round}>${to}`;
        perRound.set(key, (perRound.get(key) ?? 0) + 1);
        expect(perRound.get(key), `${n.id} sent to ${to} in round ${round}`).toBeLessThanOrEqual(2);
      }
      const { batchesSent, livenessPings } = n.node.stats();
      expect(batchesSent + livenessPings).toBe(n.sends.length);
    }
  });

  it("rejects a proposal on a follower with NotLeaderError carrying the leader hint", async () => {
    cluster = await TestCluster.start(3, ["g0"]);
    await cluster.electAll(["g0"]);
    const leader = cluster.leaderOf("g0")!;
    const follower = cluster.nodes.find((n) => n !== leader)!;
    const error = await groupOf(follower, "g0")
      .group.propose({ key: "x", value: "y" })
      .catch((e: unknown) => e);
    expect(isNotLeaderError(error)).toBe(true);
    expect((error as { leaderHint: string }).leaderHint).toBe(leader.id);
  });

  it("answers linearizable reads through ReadIndex on the leader and on a follower", async () => {
    cluster = await TestCluster.start(3, ["g0"]);
    await cluster.electAll(["g0"]);
    const leader = cluster.leaderOf("g0")!;
    const follower = cluster.nodes.find((n) => n !== leader)!;
    await groupOf(leader, "g0").group.propose({ key: "colour", value: "blue" });
    expect(await groupOf(leader, "g0").group.read("colour")).toBe("blue");
    expect(await groupOf(follower, "g0").group.read("colour")).toBe("blue");
  });

  it("committed$ emits application entries in order, once each, and resumes from an index", async () => {
    cluster = await TestCluster.start(3, ["g0"]);
    await cluster.electAll(["g0"]);
    const leader = cluster.leaderOf("g0")!;
    const follower = cluster.nodes.find((n) => n !== leader)!;
    const live: CommittedEvent[] = [];
    const subscription = groupOf(follower, "g0")
      .group.committed$()
      .subscribe((event) => live.push(event));
    const results = [];
    for (let i = 0; i < 5; i++) {
      results.push(await groupOf(leader, "g0").group.propose({ key: `k${i}`, value: `${i}` }));
    }
    await waitFor(() => live.length === 5, { description: "five live events" });
    const indexes = live.map((event) => event.index);
    expect(indexes).toEqual(results.map((result) => result.index));
    expect([...indexes].sort((a, b) => a - b)).toEqual(indexes);
    expect(new Set(indexes).size).toBe(5);
    expect(live.every((event) => event.type === "entry")).toBe(true);
    subscription.unsubscribe();

    // Resume after the third: catch up from the log, then follow.
    const resumed: CommittedEvent[] = [];
    const third = indexes[2]!;
    groupOf(follower, "g0")
      .group.committed$({ fromIndex: third + 1 })
      .subscribe((event) => resumed.push(event));
    await waitFor(() => resumed.length === 2, { description: "caught up the last two" });
    const sixth = await groupOf(leader, "g0").group.propose({ key: "k5", value: "5" });
    await waitFor(() => resumed.length === 3, { description: "followed the sixth" });
    expect(resumed.map((event) => event.index)).toEqual([...indexes.slice(3), sixth.index]);
    const decoded = JSON.parse(new TextDecoder().decode(resumed[2]!.data)) as { key: string };
    expect(decoded.key).toBe("k5");
  });

  it("leader$ reports a new leader after the leader is cut off (failover)", async () => {
    cluster = await TestCluster.start(3, ["g0"]);
    await cluster.electAll(["g0"]);
    const oldLeader = cluster.leaderOf("g0")!;
    const others = cluster.nodes.filter((n) => n !== oldLeader);
    const seen: LeaderInfo[] = [];
    groupOf(others[0]!, "g0").group.leader$.subscribe((info) => seen.push(info));
    expect(seen[0]?.leaderId).toBe(oldLeader.id); // latest value first
    cluster.network.isolate(
      oldLeader.id,
      cluster.nodes.map((n) => n.id),
    );
    const c = cluster;
    await cluster.driveUntil(() => {
      const next = c.leaderOf("g0", others);
      return next !== undefined && next !== oldLeader;
    }, "a new leader among the others");
    const newLeader = c.leaderOf("g0", others)!;
    expect(seen.at(-1)).toMatchObject({ leaderId: newLeader.id });
    expect(seen.at(-1)!.term).toBeGreaterThan(seen[0]!.term);
  });

  it("leaderOnly starts work on the leader and aborts it when leadership is lost", async () => {
    cluster = await TestCluster.start(3, ["g0"]);
    const runs: { node: string; term: number; signal: AbortSignal }[] = [];
    for (const n of cluster.nodes) {
      n.node.leaderOnly("g0", ({ term, signal }) => {
        runs.push({ node: n.id, term, signal });
      });
    }
    await cluster.electAll(["g0"]);
    const leader = cluster.leaderOf("g0")!;
    await waitFor(() => runs.length === 1, { description: "work started once" });
    expect(runs[0]).toMatchObject({ node: leader.id });
    expect(runs[0]!.signal.aborted).toBe(false);
    cluster.network.isolate(
      leader.id,
      cluster.nodes.map((n) => n.id),
    );
    // CheckQuorum steps the isolated leader down; another node starts its work.
    await cluster.driveUntil(
      () => runs[0]!.signal.aborted && runs.some((run) => run.node !== leader.id),
      "old work aborted, new work started",
    );
    const next = runs.find((run) => run.node !== leader.id)!;
    expect(next.term).toBeGreaterThan(runs[0]!.term);
  });

  it("rejects proposals past pendingProposalsPerGroupMax with OverloadedError", async () => {
    cluster = await TestCluster.start(3, ["g0"], { pendingProposalsPerGroupMax: 2 });
    await cluster.electAll(["g0"]);
    const leader = cluster.leaderOf("g0")!;
    const group = groupOf(leader, "g0").group;
    const first = outcomeOf(group.propose({ key: "a", value: "1" }));
    const second = outcomeOf(group.propose({ key: "b", value: "2" }));
    const third = await group.propose({ key: "c", value: "3" }).catch((e: unknown) => e);
    expect(isOverloadedError(third)).toBe(true);
    expect((third as { bound: string }).bound).toBe("pendingProposalsPerGroupMax");
    await waitFor(() => first.settled && second.settled, { description: "first two settle" });
    expect(first.error).toBeUndefined();
    expect(second.error).toBeUndefined();
  });

  it("stop rejects pending proposals with StoppedError and completes the streams", async () => {
    cluster = await TestCluster.start(3, ["g0"]);
    await cluster.electAll(["g0"]);
    const leader = cluster.leaderOf("g0")!;
    cluster.network.isolate(
      leader.id,
      cluster.nodes.map((n) => n.id),
    );
    const group = groupOf(leader, "g0").group;
    const pending = outcomeOf(group.propose({ key: "lost", value: "x" }));
    let leaderCompleted = false;
    let committedCompleted = false;
    group.leader$.subscribe({ complete: () => (leaderCompleted = true) });
    group.committed$().subscribe({ complete: () => (committedCompleted = true) });
    await leader.node.stop();
    await waitFor(() => pending.settled, { description: "pending proposal settled" });
    expect(isStoppedError(pending.error)).toBe(true);
    expect(leaderCompleted).toBe(true);
    expect(committedCompleted).toBe(true);
    expect(
      isStoppedError(await group.propose({ key: "a", value: "b" }).catch((e: unknown) => e)),
    ).toBe(true);
  });
});
