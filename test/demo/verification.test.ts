import { describe, expect, it } from "vitest";
import { verdictLine, verify } from "../../demo/verification.js";
import type { ReplicaState } from "../../demo/demo-cluster.js";

function replica(values: Record<string, string>, digest = JSON.stringify(values)): ReplicaState {
  return { digest, values: new Map(Object.entries(values)) };
}

describe("the demo's verification", () => {
  it("counts nothing lost or diverged when every replica holds every acknowledged put", () => {
    const states = new Map([
      [
        "g0",
        new Map([
          ["n1", replica({ a: "1" })],
          ["n2", replica({ a: "1" })],
        ]),
      ],
    ]);

    const verdict = verify([{ groupId: "g0", key: "a", value: "1" }], states, 3);

    expect(verdictLine(verdict)).toBe("demo: acknowledged=1 lost=0 diverged=0 failovers=3");
  });

  it("counts an acknowledged put missing or different on any replica as lost", () => {
    const states = new Map([
      [
        "g0",
        new Map([
          ["n1", replica({ a: "1", b: "2" })],
          ["n2", replica({ a: "9", b: "2" })],
        ]),
      ],
    ]);
    const acknowledged = [
      { groupId: "g0", key: "a", value: "1" },
      { groupId: "g0", key: "b", value: "2" },
      { groupId: "g1", key: "c", value: "3" },
    ];

    expect(verify(acknowledged, states, 0).lost).toBe(2);
  });

  it("counts replicas that differ from their group's majority as diverged", () => {
    const states = new Map([
      [
        "g0",
        new Map([
          ["n1", replica({ a: "1" })],
          ["n2", replica({ a: "1" })],
          ["n3", replica({ a: "2" })],
        ]),
      ],
    ]);

    expect(verify([], states, 0).diverged).toBe(1);
  });
});
