/**
 * Two edges the simulators reached only by luck: a replica restarted on a log shorter than what
 * its state machine applied (it must refuse to start: it would acknowledge entries it does not
 * hold), and a voter that refuses a (pre-)vote (its election timer must not move: Raft's Figure 2
 * restarts it only on granting a vote, so a stale candidate cannot hold elections off).
 */
import { describe, expect, it } from "vitest";
import {
  Raft,
  SeededRandom,
  StorageInconsistencyError,
  nodeId,
  type Message,
} from "../../src/index.js";
import { PaperReplica, requestVote, storageWith } from "../support/paper-helpers.js";

describe("a restart on a log shorter than what was applied", () => {
  it("refuses to start with StorageInconsistencyError naming both indexes", () => {
    const storage = storageWith({ log: [1, 1, 1], term: 1, commitIndex: 3 });

    const start = (): Raft =>
      new Raft({ id: nodeId("b"), storage, random: new SeededRandom(1), appliedIndex: 5 });

    expect(start).toThrow(StorageInconsistencyError);
    expect(start).toThrow(/applied through 5 but the log ends at 3/);
  });

  it("starts when the applied index is within the log, and hands out nothing it already applied", () => {
    const storage = storageWith({ log: [1, 1, 1], term: 1, commitIndex: 1 });

    const raft = new Raft({
      id: nodeId("b"),
      storage,
      random: new SeededRandom(1),
      appliedIndex: 3,
    });

    expect(raft.status()).toMatchObject({ appliedIndex: 3, commitIndex: 3 });
    expect(raft.hasReady() ? raft.ready().committedEntries : []).toEqual([]);
  });
});

/** Ticks until `replica` sends a (pre-)vote request; how many ticks that took. */
function ticksUntilCampaign(replica: PaperReplica, bound = 1000): number {
  for (let ticks = 1; ticks <= bound; ticks++) {
    replica.tick();
    const sent: Message[] = replica.flush();
    if (sent.some((m) => m.type === "RequestVote")) return ticks;
  }
  throw new Error(`${replica.id} never campaigned within ${bound} ticks`);
}

/**
 * Two identical followers (same storage contents, same random seed): `voter` is asked for a
 * vote it refuses after `before` ticks, `twin` is not. Both must campaign at the same tick.
 */
function campaignTicksWithAndWithoutRefusal(
  preVote: boolean,
  request: { term: number; lastLogIndex: number; lastLogTerm: number },
  before: number,
): { voter: number; twin: number; refused: boolean } {
  const setup = { config: { preVote, checkQuorum: false }, log: [1, 2, 2], term: 2 };
  const voter = new PaperReplica("b", setup);
  const twin = new PaperReplica("b", setup);
  voter.tick(before);
  twin.tick(before);
  voter.flush();
  twin.flush();

  voter.step(requestVote("c", "b", request.term, { ...request, preVote }));
  const answers = voter.flush().filter((m) => m.type === "RequestVoteResult");

  return {
    voter: before + ticksUntilCampaign(voter),
    twin: before + ticksUntilCampaign(twin),
    refused: answers.length === 1 && answers.every((m) => !m.granted),
  };
}

describe("a refused vote leaves the voter's election timer alone (Figure 2)", () => {
  it.each([
    { kind: "RequestVote", preVote: false, why: "a stale log in a higher term" },
    { kind: "PreVote", preVote: true, why: "a stale log in a higher term" },
  ])("a refused $kind ($why) does not delay the voter's own campaign", ({ preVote }) => {
    const result = campaignTicksWithAndWithoutRefusal(
      preVote,
      { term: 5, lastLogIndex: 2, lastLogTerm: 1 },
      3,
    );

    expect(result.refused).toBe(true);
    expect(result.voter).toBe(result.twin);
  });

  it("a refused RequestVote in the voter's own term (already voted) does not delay its campaign", () => {
    const setup = { config: { preVote: false, checkQuorum: false }, log: [1, 2, 2], term: 2 };
    const voter = new PaperReplica("b", { ...setup, vote: "b" });
    const twin = new PaperReplica("b", { ...setup, vote: "b" });
    voter.tick(2);
    twin.tick(2);

    voter.step(requestVote("c", "b", 2, { lastLogIndex: 3, lastLogTerm: 2 }));
    const answers = voter.flush().filter((m) => m.type === "RequestVoteResult");

    expect(answers.map((m) => m.granted)).toEqual([false]);
    expect(2 + ticksUntilCampaign(voter)).toBe(2 + ticksUntilCampaign(twin));
  });
});
