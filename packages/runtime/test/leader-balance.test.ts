import { afterEach, describe, expect, it } from "vitest";
import { isNotLeaderError, planLeaderTransfers, type LeadershipView } from "../src/index.js";
import { TestCluster } from "./helpers.js";

const VOTERS = ["n1", "n2", "n3"];

function views(leaders: readonly (string | undefined)[]): LeadershipView[] {
  return leaders.map((leaderId, i) => ({ groupId: `g${i}`, leaderId, voters: VOTERS }));
}

describe("planLeaderTransfers", () => {
  it("sheds a node's excess down to its fair share, to the nodes that lead the fewest", () => {
    const plan = planLeaderTransfers("n1", views(Array(9).fill("n1")), () => true);

    expect(plan).toHaveLength(6);
    const to = plan.map((t) => t.to);
    expect(to.filter((id) => id === "n2")).toHaveLength(3);
    expect(to.filter((id) => id === "n3")).toHaveLength(3);
  });

  it("does nothing on a node at or below its fair share", () => {
    expect(planLeaderTransfers("n2", views(Array(9).fill("n1")), () => true)).toEqual([]);
    expect(
      planLeaderTransfers("n1", views(["n1", "n1", "n1", "n2", "n2", "n3", "n3"]), () => true),
    ).toEqual([]);
  });

  it("narrows a spread of two even at the ceiling share: 0, 2, 2 over 4 groups", () => {
    const plan = planLeaderTransfers("n2", views(["n2", "n2", "n3", "n3"]), () => true);

    expect(plan).toEqual([{ groupId: "g0", to: "n1" }]);
  });

  it("never hands leadership to a dead node, and counts only live nodes in the fair share", () => {
    const plan = planLeaderTransfers("n1", views(Array(6).fill("n1")), (id) => id !== "n3");

    expect(plan.map((t) => t.to)).toEqual(["n2", "n2", "n2"]);
  });

  it("ignores groups without a known leader and is deterministic", () => {
    const groups = views(["n1", "n1", undefined, "n1", "n1", undefined]);
    const first = planLeaderTransfers("n1", groups, () => true);

    expect(first).toEqual(planLeaderTransfers("n1", [...groups].reverse(), () => true));
    expect(first.map((t) => t.groupId)).toEqual(["g0", "g1"]);
  });
});

describe("node.rebalance and transferLeadership", () => {
  const GROUPS = Array.from({ length: 12 }, (_, i) => `g${i}`);
  let cluster: TestCluster | undefined;

  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  /** n1 campaigns first, so it leads every group. */
  async function allOnN1(options = {}): Promise<TestCluster> {
    const c = await TestCluster.start(3, GROUPS, options, (index) => ({
      electionTicks: index === 0 ? 3 : 10,
    }));
    await c.electAll(GROUPS);
    expect(GROUPS.every((g) => c.leaderOf(g)?.id === "n1")).toBe(true);
    return c;
  }

  function ledBy(c: TestCluster): number[] {
    return c.nodes.map((n) => GROUPS.filter((g) => c.leaderOf(g) === n).length);
  }

  it("transferLeadership moves one group's leader; a follower refuses with NotLeaderError", async () => {
    cluster = await allOnN1();
    const c = cluster;
    await c.nodes[0]!.node.transferLeadership("g0", "n3");
    await c.driveUntil(() => c.leaderOf("g0")?.id === "n3", "n3 leads g0");

    const refused = await c.nodes[1]!.node.transferLeadership("g1", "n3").catch((e: unknown) => e);
    expect(isNotLeaderError(refused)).toBe(true);
  });

  it("rebalance spreads the leadership of 12 groups evenly over 3 nodes", async () => {
    cluster = await allOnN1();
    const c = cluster;

    expect(c.nodes[0]!.node.rebalance()).toBe(8);
    await c.driveUntil(() => ledBy(c).every((count) => count === 4), "4 groups per node");
    expect(c.nodes.map((n) => n.node.rebalance())).toEqual([0, 0, 0]);
  });

  it("with leaderBalanceIntervalMs set, leadership spreads by itself", async () => {
    cluster = await allOnN1({ leaderBalanceIntervalMs: 200 });
    const c = cluster;

    await c.driveUntil(() => ledBy(c).every((count) => count === 4), "4 groups per node");
  });
});
