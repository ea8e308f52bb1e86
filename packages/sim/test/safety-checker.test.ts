import { describe, expect, it } from "vitest";
import { membershipOf, nodeId, type Entry, type NodeId, type RaftStatus } from "@flotilla/raft";
import { emptyCoverage } from "../src/coverage.js";
import type { ReplicaHost } from "../src/replica-host.js";
import { SafetyChecker } from "../src/safety-checker.js";
import { SimStorage } from "../src/sim-storage.js";
import { Violation } from "../src/violation.js";

const [a, b, c] = [nodeId("a"), nodeId("b"), nodeId("c")];

/** Just enough of a replica for the checker: ids, storage and a settable status. */
function fakeReplica(id: NodeId, role: RaftStatus["role"] = "follower", term = 1) {
  const storage = new SimStorage(membershipOf([a, b, c]));
  const status = { role, term, commitIndex: 0, appliedIndex: 0 };
  const host = {
    nodeId: id,
    groupId: "g0",
    storage,
    describe: (what: string) => `${id}: ${what}`,
    status: () => status as unknown as RaftStatus,
  };
  return { host: host as unknown as ReplicaHost, storage, status };
}

function normal(index: number, term: number, byte: number): Entry {
  return { index, term, type: "normal", data: new Uint8Array([byte]) };
}

describe("SafetyChecker", () => {
  it("catches two leaders in one term (election safety, §5.2)", () => {
    const checker = new SafetyChecker(emptyCoverage());
    checker.afterStep([fakeReplica(a, "leader", 3).host]);
    expect(() => checker.afterStep([fakeReplica(b, "leader", 3).host])).toThrow(/election safety/);
  });

  it("catches a replica voting for two candidates in one term, even across a restart", () => {
    const checker = new SafetyChecker(emptyCoverage());
    const vote = (to: NodeId) =>
      ({
        type: "RequestVoteResult",
        from: a,
        to,
        term: 4,
        granted: true,
        preVote: false,
        commitIndex: 0,
        commitTerm: 0,
      }) as const;
    checker.sent(fakeReplica(a).host, vote(b));
    checker.sent(fakeReplica(a).host, vote(b));
    expect(() => checker.sent(fakeReplica(a).host, vote(c))).toThrow(Violation);
  });

  it("catches two different entries with the same index and term (log matching)", () => {
    const checker = new SafetyChecker(emptyCoverage());
    const first = fakeReplica(a);
    first.storage.append([normal(1, 1, 7)]);
    checker.persisted(first.host, [normal(1, 1, 7)]);
    const second = fakeReplica(b);
    second.storage.append([normal(1, 1, 8)]);
    expect(() => checker.persisted(second.host, [normal(1, 1, 8)])).toThrow(/log matching/);
  });

  it("catches the same entry following different previous terms (inductive log matching)", () => {
    const checker = new SafetyChecker(emptyCoverage());
    const first = fakeReplica(a);
    first.storage.append([normal(1, 1, 1), normal(2, 2, 2)]);
    checker.persisted(first.host, [normal(1, 1, 1), normal(2, 2, 2)]);
    const second = fakeReplica(b);
    second.storage.append([normal(1, 2, 1), normal(2, 2, 2)]);
    expect(() => checker.persisted(second.host, [normal(2, 2, 2)])).toThrow(
      /after term 2, elsewhere .* after term 1/,
    );
  });

  it("catches two replicas applying different entries at one index (state machine safety)", () => {
    const checker = new SafetyChecker(emptyCoverage());
    checker.applied(fakeReplica(a).host, normal(5, 2, 1));
    checker.applied(fakeReplica(c).host, normal(5, 2, 1));
    expect(() => checker.applied(fakeReplica(b).host, normal(5, 3, 1))).toThrow(
      /state machine safety/,
    );
  });

  it("catches a new leader missing an entry committed in an earlier term (leader completeness)", () => {
    const checker = new SafetyChecker(emptyCoverage());
    const follower = fakeReplica(a);
    follower.storage.append([normal(1, 1, 1)]);
    checker.hardState(follower.host, { term: 1, vote: undefined, commitIndex: 1 }, 0);
    const leader = fakeReplica(b, "leader", 2);
    leader.storage.append([normal(1, 2, 9)]);
    expect(() => checker.afterStep([leader.host])).toThrow(/leader completeness/);
  });

  it("does not blame a leader of an older term for entries committed later", () => {
    const checker = new SafetyChecker(emptyCoverage());
    const follower = fakeReplica(a);
    follower.storage.append([normal(1, 3, 1)]);
    checker.hardState(follower.host, { term: 3, vote: undefined, commitIndex: 1 }, 0);
    expect(() => checker.afterStep([fakeReplica(b, "leader", 2).host])).not.toThrow();
  });

  it("catches commit going backwards and applied passing commit on a live replica", () => {
    const checker = new SafetyChecker(emptyCoverage());
    const replica = fakeReplica(a);
    replica.status.commitIndex = 5;
    checker.afterStep([replica.host]);
    replica.status.commitIndex = 4;
    expect(() => checker.afterStep([replica.host])).toThrow(/commit index went back/);
    const other = fakeReplica(b);
    other.status.appliedIndex = 1;
    expect(() => checker.afterStep([other.host])).toThrow(/applied 1 past commit 0/);
  });
});
