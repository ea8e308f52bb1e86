import { afterEach, describe, expect, it } from "vitest";
import {
  isProposalDroppedError,
  isProposalOutcomeUnknownError,
  isProposalTimeoutError,
  isTooLargeError,
  type FlotillaNodeOptions,
} from "../src/index.js";
import { lastValueFrom } from "rxjs";
import { TestCluster, outcomeOf, settle, waitFor, type TestNode } from "./helpers.js";

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/** Three nodes, one group, n1 elected first (its election timeout is the shortest). */
async function startWithLeaderN1(options: Partial<FlotillaNodeOptions> = {}) {
  const c = await TestCluster.start(3, ["g0"], options, (index) => ({
    electionTicks: index === 0 ? 3 : 10,
  }));
  await c.electAll(["g0"]);
  const leader = c.leaderOf("g0")!;
  expect(leader.id).toBe("n1");
  const group = leader.groups.get("g0")!.group;
  return { c, leader, group, others: c.nodes.filter((n) => n !== leader) };
}

function isolate(c: TestCluster, n: TestNode): void {
  c.network.isolate(
    n.id,
    c.nodes.map((other) => other.id),
  );
}

describe("proposal outcomes", () => {
  it("rejects with ProposalTimeoutError when the entry does not commit in time", async () => {
    const { c, leader, group } = await startWithLeaderN1({ proposalTimeoutMs: 20 });
    cluster = c;
    isolate(c, leader);
    const outcome = outcomeOf(group.propose({ key: "a", value: "1" }));
    await c.driveUntil(() => outcome.settled, "the proposal settles");
    expect(isProposalTimeoutError(outcome.error)).toBe(true);
  });

  it("rejects with ProposalOutcomeUnknownError when the leader is deposed after appending", async () => {
    const { c, leader, group } = await startWithLeaderN1({ deposedProposalGraceMs: 50 });
    cluster = c;
    isolate(c, leader);
    const outcome = outcomeOf(group.propose({ key: "a", value: "1" }));
    // CheckQuorum deposes the isolated leader; the grace passes without news.
    await c.driveUntil(() => outcome.settled, "the proposal settles");
    expect(isProposalOutcomeUnknownError(outcome.error)).toBe(true);
    expect((outcome.error as { index: number }).index).toBeGreaterThan(0);
  });

  it("rejects with ProposalDroppedError when another entry commits at its index", async () => {
    const { c, leader, group, others } = await startWithLeaderN1({
      deposedProposalGraceMs: 1_000_000,
      proposalTimeoutMs: 1_000_000,
    });
    cluster = c;
    isolate(c, leader);
    const outcome = outcomeOf(group.propose({ key: "lost", value: "1" }));
    await c.driveUntil(() => c.leaderOf("g0", others) !== undefined, "a new leader elected");
    const newLeader = c.leaderOf("g0", others)!;
    await newLeader.groups.get("g0")!.group.propose({ key: "won", value: "2" });
    c.network.healAll();
    await c.driveUntil(() => outcome.settled, "the old proposal settles");
    expect(isProposalDroppedError(outcome.error)).toBe(true);
    const old = leader.groups.get("g0")!.stateMachine;
    await waitFor(() => old.values.get("won") === "2", { description: "the old leader caught up" });
    expect(old.values.has("lost")).toBe(false);
  });

  it("rejects with the signal's reason when aborted", async () => {
    const { c, leader, group } = await startWithLeaderN1();
    cluster = c;
    isolate(c, leader);
    const controller = new AbortController();
    const outcome = outcomeOf(
      group.propose({ key: "a", value: "1" }, { signal: controller.signal }),
    );
    controller.abort(new Error("caller gave up"));
    await waitFor(() => outcome.settled, { description: "the proposal settles" });
    expect((outcome.error as Error).message).toBe("caller gave up");
  });

  it("rejects a command over commandBytesMax with TooLargeError before queueing it", async () => {
    const { c, group } = await startWithLeaderN1({ commandBytesMax: 64 });
    cluster = c;
    const error = await group
      .propose({ key: "big", value: "x".repeat(100) })
      .catch((e: unknown) => e);
    expect(isTooLargeError(error)).toBe(true);
  });

  it("rejects with the state machine's error when apply throws, on every replica alike", async () => {
    const { c, group } = await startWithLeaderN1();
    cluster = c;
    const error = await group.propose({ key: "throw", value: "" }).catch((e: unknown) => e);
    expect((error as Error).message).toBe("refused by the state machine");
    expect((await group.propose({ key: "after", value: "ok" })).previous).toBeUndefined();
  });

  it("propose$ is cold: it proposes on subscription and emits the result once", async () => {
    const { c, leader, group } = await startWithLeaderN1();
    cluster = c;
    const proposal$ = group.propose$({ key: "cold", value: "1" });
    await settle(10);
    expect(leader.groups.get("g0")!.stateMachine.values.has("cold")).toBe(false);
    const result = await lastValueFrom(proposal$);
    expect(result.previous).toBeUndefined();
    expect(leader.groups.get("g0")!.stateMachine.values.get("cold")).toBe("1");
  });
});
