import { describe, expect, it } from "vitest";
import { TestCluster, bytes } from "./support/test-cluster.js";

describe("a three-replica group", () => {
  it("elects a leader, replicates a proposal and applies it everywhere", () => {
    const c = new TestCluster(["a", "b", "c"]);
    c.elect("a");
    expect(c.raft("a").status().role).toBe("leader");
    const outcome = c.raft("a").propose(bytes("x"));
    expect(outcome).toMatchObject({ type: "accepted", index: 2, term: 1 });
    c.stabilize();
    for (const id of ["a", "b", "c"]) {
      expect(c.appliedData(id)).toEqual(["x"]);
      expect(c.raft(id).status().commitIndex).toBe(2);
    }
  });
});
