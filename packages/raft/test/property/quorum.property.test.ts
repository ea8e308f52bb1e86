/**
 * Quorum arithmetic against obviously correct slow versions: the committed index by brute force
 * over candidate indexes, and vote outcomes by counting by hand (Raft §5.2, §5.3, §6).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  jointCommitted,
  jointVote,
  majorityCommitted,
  majorityVote,
  nodeId,
  type NodeId,
  type VoteResult,
} from "../../src/index.js";

const POOL = ["a", "b", "c", "d", "e", "f", "g", "h", "i"].map(nodeId);

/** A set of distinct voters drawn from the pool (possibly empty). */
const voterSet = fc.subarray(POOL, { minLength: 0, maxLength: POOL.length });

/** A match index for every node of the pool. */
const matches = fc.array(fc.nat({ max: 20 }), { minLength: POOL.length, maxLength: POOL.length });

/** A vote (granted / rejected / not yet answered) for every node of the pool. */
const votes = fc.array(fc.constantFrom<boolean | undefined>(true, false, undefined), {
  minLength: POOL.length,
  maxLength: POOL.length,
});

function matchOf(values: readonly number[]): (id: NodeId) => number {
  return (id) => values[POOL.indexOf(id)] ?? 0;
}

function voteMap(values: readonly (boolean | undefined)[]): Map<NodeId, boolean> {
  const map = new Map<NodeId, boolean>();
  POOL.forEach((id, i) => {
    const v = values[i];
    if (v !== undefined) map.set(id, v);
  });
  return map;
}

/** The largest index at least floor(n/2)+1 voters have matched; +Infinity for no voters. */
function slowMajorityCommitted(voters: readonly NodeId[], match: (id: NodeId) => number): number {
  if (voters.length === 0) return Number.POSITIVE_INFINITY;
  const quorum = Math.floor(voters.length / 2) + 1;
  let best = 0;
  for (let candidate = 0; candidate <= 25; candidate++) {
    const holding = voters.filter((id) => match(id) >= candidate).length;
    if (holding >= quorum) best = candidate;
  }
  return best;
}

/** The largest index both halves have a majority for; an empty half is no constraint. */
function slowJointCommitted(
  incoming: readonly NodeId[],
  outgoing: readonly NodeId[],
  match: (id: NodeId) => number,
): number {
  if (incoming.length === 0 && outgoing.length === 0) return Number.POSITIVE_INFINITY;
  const holds = (voters: readonly NodeId[], c: number): boolean =>
    voters.length === 0 ||
    voters.filter((id) => match(id) >= c).length >= Math.floor(voters.length / 2) + 1;
  let best = 0;
  for (let candidate = 0; candidate <= 25; candidate++) {
    if (holds(incoming, candidate) && holds(outgoing, candidate)) best = candidate;
  }
  return best;
}

/** Won iff granted reaches quorum; lost iff granted plus the unanswered can no longer reach it. */
function slowMajorityVote(voters: readonly NodeId[], vs: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.length === 0) return "won";
  const quorum = Math.floor(voters.length / 2) + 1;
  let granted = 0;
  let unanswered = 0;
  for (const id of voters) {
    const v = vs.get(id);
    if (v === true) granted++;
    if (v === undefined) unanswered++;
  }
  if (granted >= quorum) return "won";
  if (granted + unanswered < quorum) return "lost";
  return "pending";
}

const params = { numRuns: 500 };

describe("majorityCommitted", () => {
  it("is the largest index a majority of voters has matched (brute force)", () => {
    fc.assert(
      fc.property(voterSet, matches, (voters, ms) => {
        expect(majorityCommitted(voters, matchOf(ms))).toBe(
          slowMajorityCommitted(voters, matchOf(ms)),
        );
      }),
      params,
    );
  });

  it("does not depend on the order of the voters", () => {
    fc.assert(
      fc.property(voterSet, matches, (voters, ms) => {
        const reversed = [...voters].reverse();
        expect(majorityCommitted(reversed, matchOf(ms))).toBe(
          majorityCommitted(voters, matchOf(ms)),
        );
      }),
      params,
    );
  });

  it("answers +Infinity for an empty voter set (no constraint)", () => {
    expect(majorityCommitted([], () => 7)).toBe(Number.POSITIVE_INFINITY);
  });

  it("needs 3 of 4 voters, not 2 (even-sized group)", () => {
    const [a, b, c, d] = POOL;
    const m = new Map([
      [a, 5],
      [b, 5],
      [c, 1],
      [d, 1],
    ]);
    expect(majorityCommitted([a!, b!, c!, d!], (id) => m.get(id) ?? 0)).toBe(1);
  });
});

describe("jointCommitted", () => {
  it("is the minimum of both halves, an empty half being no constraint", () => {
    fc.assert(
      fc.property(voterSet, voterSet, matches, (incoming, outgoing, ms) => {
        const match = matchOf(ms);
        const got = jointCommitted(incoming, outgoing, match);
        expect(got).toBe(
          Math.min(majorityCommitted(incoming, match), majorityCommitted(outgoing, match)),
        );
        expect(got).toBe(slowJointCommitted(incoming, outgoing, match));
        if (outgoing.length === 0) expect(got).toBe(majorityCommitted(incoming, match));
        if (incoming.length === 0) expect(got).toBe(majorityCommitted(outgoing, match));
      }),
      params,
    );
  });
});

describe("majorityVote", () => {
  it("agrees with counting by hand (won at quorum, lost once quorum is out of reach)", () => {
    fc.assert(
      fc.property(voterSet, votes, (voters, vs) => {
        const map = voteMap(vs);
        expect(majorityVote(voters, map)).toBe(slowMajorityVote(voters, map));
      }),
      params,
    );
  });

  it("ignores votes from nodes that are not voters", () => {
    fc.assert(
      fc.property(voterSet, votes, (voters, vs) => {
        const map = voteMap(vs);
        const onlyVoters = new Map([...map].filter(([id]) => voters.includes(id)));
        expect(majorityVote(voters, map)).toBe(majorityVote(voters, onlyVoters));
      }),
      params,
    );
  });
});

describe("jointVote", () => {
  it("is won iff both halves are won, lost iff either half is lost", () => {
    fc.assert(
      fc.property(voterSet, voterSet, votes, (incoming, outgoing, vs) => {
        const map = voteMap(vs);
        const a = slowMajorityVote(incoming, map);
        const b = slowMajorityVote(outgoing, map);
        const expected: VoteResult =
          a === "lost" || b === "lost" ? "lost" : a === "won" && b === "won" ? "won" : "pending";
        expect(jointVote(incoming, outgoing, map)).toBe(expected);
      }),
      params,
    );
  });
});
