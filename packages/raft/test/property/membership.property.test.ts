/**
 * Membership changes (Raft §6, dissertation §4.3) under random valid sequences: planChange then
 * applyMembershipChange, and leave-joint after every enter-joint. The invariants hold after every
 * step, and the configuration reached equals a plain set model of the requested changes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  allMembers,
  allVoters,
  applyMembershipChange,
  isJoint,
  isVoter,
  membershipOf,
  nodeId,
  planChange,
  type Membership,
  type NodeChange,
  type NodeId,
} from "../../src/index.js";

const POOL = ["n1", "n2", "n3", "n4", "n5", "n6"].map(nodeId);

const change: fc.Arbitrary<NodeChange> = fc.record({
  type: fc.constantFrom<NodeChange["type"]>("add-voter", "add-learner", "remove"),
  nodeId: fc.constantFrom(...POOL),
});

/** A bootstrap membership: 1..4 voters and disjoint learners. */
const initial: fc.Arbitrary<Membership> = fc
  .tuple(fc.shuffledSubarray(POOL, { minLength: 1, maxLength: 4 }), fc.subarray(POOL))
  .map(([voters, learners]) =>
    membershipOf(
      voters,
      learners.filter((id) => !voters.includes(id)),
    ),
  );

const sorted = (ids: readonly NodeId[]): NodeId[] => [...ids].sort();

function checkInvariants(m: Membership): void {
  const voters = new Set(m.voters);
  const outgoing = new Set(m.votersOutgoing);
  expect(m.voters.length, "voters never empty").toBeGreaterThan(0);
  for (const list of [m.voters, m.votersOutgoing, m.learners, m.learnersNext]) {
    expect(new Set(list).size, "no duplicates").toBe(list.length);
  }
  for (const id of m.learners) {
    expect(voters.has(id), `learner ${id} is not an incoming voter`).toBe(false);
    expect(outgoing.has(id), `learner ${id} is not an outgoing voter`).toBe(false);
  }
  for (const id of m.learnersNext) {
    expect(outgoing.has(id), `learnerNext ${id} is an outgoing voter`).toBe(true);
    expect(voters.has(id), `learnerNext ${id} is not an incoming voter`).toBe(false);
  }
  expect(isJoint(m)).toBe(m.votersOutgoing.length > 0);
  if (!isJoint(m)) expect(m.learnersNext).toEqual([]);
  expect(sorted(allVoters(m))).toEqual(
    sorted([...voters, ...outgoing].filter((id, i, a) => a.indexOf(id) === i)),
  );
  for (const id of POOL) expect(isVoter(m, id)).toBe(voters.has(id) || outgoing.has(id));
  expect(sorted(allMembers(m))).toEqual(
    sorted([...new Set([...m.voters, ...m.votersOutgoing, ...m.learners, ...m.learnersNext])]),
  );
}

/** The plain set model: apply the changes in order to (voters, learners). */
function model(
  voters: readonly NodeId[],
  learners: readonly NodeId[],
  changes: readonly NodeChange[],
) {
  const v = new Set(voters);
  const l = new Set(learners);
  for (const c of changes) {
    if (c.type === "add-voter") {
      l.delete(c.nodeId);
      v.add(c.nodeId);
    } else if (c.type === "add-learner") {
      v.delete(c.nodeId);
      l.add(c.nodeId);
    } else {
      if (!v.has(c.nodeId) && !l.has(c.nodeId)) return "not a member";
      v.delete(c.nodeId);
      l.delete(c.nodeId);
    }
  }
  if (v.size === 0) return "no voter";
  return { voters: sorted([...v]), learners: sorted([...l]) };
}

describe("membership changes", () => {
  it("keep the invariants and reach the requested configuration through joint consensus", () => {
    fc.assert(
      fc.property(
        initial,
        fc.array(fc.array(change, { minLength: 1, maxLength: 3 }), { maxLength: 12 }),
        (start, requests) => {
          let m = start;
          checkInvariants(m);
          for (const changes of requests) {
            const expected = model(m.voters, m.learners, changes);
            const plan = planChange(m, changes);
            if (typeof expected === "string") {
              expect(typeof plan, `refused: ${expected}`).toBe("string");
              continue;
            }
            if (typeof plan === "string") throw new Error(`a valid request was refused: ${plan}`);
            const sameVoters = sorted(m.voters).join() === expected.voters.join();
            expect(plan.kind).toBe(sameVoters ? "simple" : "enter-joint");

            const next = applyMembershipChange(m, plan);
            if (typeof next === "string")
              throw new Error(`a planned change did not apply: ${next}`);
            checkInvariants(next);
            if (plan.kind === "enter-joint") {
              expect(isJoint(next)).toBe(true);
              expect(sorted(next.votersOutgoing)).toEqual(sorted(m.voters));
              expect(sorted(next.voters)).toEqual(expected.voters);
              // Nothing else may change while joint; leaving is the only way on.
              expect(typeof applyMembershipChange(next, plan)).toBe("string");
              expect(typeof applyMembershipChange(next, { kind: "simple", changes })).toBe(
                "string",
              );
              const left = applyMembershipChange(next, { kind: "leave-joint" });
              if (typeof left === "string")
                throw new Error(`could not leave the joint config: ${left}`);
              checkInvariants(left);
              m = left;
            } else {
              m = next;
            }
            expect(isJoint(m)).toBe(false);
            expect(sorted(m.voters)).toEqual(expected.voters);
            expect(sorted(m.learners)).toEqual(expected.learners);
            expect(
              typeof applyMembershipChange(m, { kind: "leave-joint" }),
              "leave-joint needs a joint config",
            ).toBe("string");
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("plans a learner-only change as simple", () => {
    fc.assert(
      fc.property(
        initial,
        fc.array(fc.constantFrom(...POOL), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (m, ids, remove) => {
          const targets = [...new Set(ids)].filter((id) => !m.voters.includes(id));
          fc.pre(targets.length > 0);
          const changes: NodeChange[] = targets.map((id) =>
            remove && m.learners.includes(id)
              ? { type: "remove", nodeId: id }
              : { type: "add-learner", nodeId: id },
          );
          const plan = planChange(m, changes);
          if (typeof plan === "string") throw new Error(`refused: ${plan}`);
          expect(plan.kind).toBe("simple");
          const next = applyMembershipChange(m, plan);
          if (typeof next === "string") throw new Error(next);
          expect(next.voters).toEqual(m.voters);
          checkInvariants(next);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses a simple change that would alter the voter set", () => {
    const m = membershipOf([nodeId("n1"), nodeId("n2")]);
    expect(
      typeof applyMembershipChange(m, {
        kind: "simple",
        changes: [{ type: "add-voter", nodeId: nodeId("n3") }],
      }),
    ).toBe("string");
  });

  it("refuses a plan with no change, or one removing every voter", () => {
    const m = membershipOf([nodeId("n1")]);
    expect(typeof planChange(m, [])).toBe("string");
    expect(typeof planChange(m, [{ type: "remove", nodeId: nodeId("n1") }])).toBe("string");
  });
});
