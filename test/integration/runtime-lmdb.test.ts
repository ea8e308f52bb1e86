/**
 * The runtime's "done when" on real LMDB files (issue 4): 3 nodes × 100 groups in one process,
 * each node with its own LMDB environment in a temp dir (strict durability), driven by a manual
 * clock over the in-memory network.
 *
 * - proposals resolve with their state machine results, and every replica ends identical;
 * - a node stopped and restarted from its LMDB files catches up;
 * - futures pending on a deposed leader (cut off after appending) reject with a typed error that
 *   says the entry did not apply (`ProposalDroppedError`) or may have
 *   (`ProposalOutcomeUnknownError`), none resolves, and no command is applied twice anywhere.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LmdbNodeStorage } from "@flotilla/storage-lmdb";
import {
  isProposalDroppedError,
  isProposalOutcomeUnknownError,
} from "../../packages/runtime/src/index.js";
import {
  TestCluster,
  outcomeOf,
  waitFor,
  type TestNode,
} from "../../packages/runtime/test/helpers.js";

const GROUPS = Array.from({ length: 100 }, (_, i) => `g${i}`);

let cluster: TestCluster | undefined;
let dataDir: string | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

async function startOnLmdb(): Promise<{
  c: TestCluster;
  open: (id: string) => Promise<LmdbNodeStorage>;
}> {
  const root = await mkdtemp(join(tmpdir(), "flotilla-3x100-"));
  dataDir = root;
  const open = (id: string) => LmdbNodeStorage.open(join(root, id), { durability: "strict" });
  const c = await TestCluster.start(
    3,
    GROUPS,
    { deposedProposalGraceMs: 1_000_000, proposalTimeoutMs: 1_000_000 },
    () => ({}),
    open,
  );
  cluster = c;
  await c.electAll(GROUPS);
  return { c, open };
}

function stateOf(n: TestNode, groupId: string) {
  return n.groups.get(groupId)!.stateMachine;
}

/** Every replica of every group holds the same state. */
function expectIdentical(c: TestCluster): void {
  for (const groupId of GROUPS) {
    const digests = new Set(c.nodes.map((n) => stateOf(n, groupId).digest()));
    expect(digests.size, `replicas of ${groupId} differ`).toBe(1);
  }
}

/** No replica applied an index twice, or out of order. */
function expectAppliedOnce(c: TestCluster): void {
  for (const n of c.nodes) {
    for (const groupId of GROUPS) {
      const indexes = stateOf(n, groupId).appliedIndexes;
      for (let i = 1; i < indexes.length; i++) {
        expect(indexes[i]!, `${n.id}/${groupId} applied out of order`).toBeGreaterThan(
          indexes[i - 1]!,
        );
      }
    }
  }
}

describe("3 nodes × 100 groups on LMDB", () => {
  it("proposals resolve with their results, replicas agree, and a restarted node catches up from its files", async () => {
    const { c, open } = await startOnLmdb();
    const first = await Promise.all(
      GROUPS.map((g) => c.leaderOf(g)!.groups.get(g)!.group.propose({ key: "k", value: "1" })),
    );
    expect(first.every((result) => result.previous === undefined)).toBe(true);
    const second = await Promise.all(
      GROUPS.map((g) => c.leaderOf(g)!.groups.get(g)!.group.propose({ key: "k", value: "2" })),
    );
    expect(second.map((result) => result.previous)).toEqual(GROUPS.map(() => "1"));
    await c.driveUntil(
      () => GROUPS.every((g) => c.nodes.every((n) => stateOf(n, g).values.get("k") === "2")),
      "every replica applied both commands",
    );

    // Stop n3; the others keep committing (two of three); n3 restarts from its LMDB files.
    await c.nodes[2]!.node.stop();
    const survivors = c.nodes.slice(0, 2);
    await c.driveUntil(
      () => GROUPS.every((g) => c.leaderOf(g, survivors) !== undefined),
      "every group has a leader on n1 or n2",
    );
    await Promise.all(
      GROUPS.map((g) =>
        c.leaderOf(g, survivors)!.groups.get(g)!.group.propose({ key: "during", value: g }),
      ),
    );
    const restarted = await c.restart(2, await open("n3"));
    await c.driveUntil(
      () => GROUPS.every((g) => stateOf(restarted, g).values.get("during") === g),
      "the restarted node re-applied its log and caught up",
    );
    expectIdentical(c);
    expectAppliedOnce(c);
  });

  it("futures pending on a deposed leader reject with a typed error and nothing is applied twice", async () => {
    const { c } = await startOnLmdb();
    // The node that leads the most groups is cut off after its proposals are appended.
    const counts = c.nodes.map((n) => GROUPS.filter((g) => c.leaderOf(g) === n).length);
    const deposed = c.nodes[counts.indexOf(Math.max(...counts))]!;
    const itsGroups = GROUPS.filter((g) => c.leaderOf(g) === deposed);
    c.network.isolate(
      deposed.id,
      c.nodes.map((n) => n.id),
    );
    const stranded = itsGroups.map((g) =>
      outcomeOf(deposed.groups.get(g)!.group.propose({ key: "stranded", value: g })),
    );
    const others = c.nodes.filter((n) => n !== deposed);
    await c.driveUntil(
      () => itsGroups.every((g) => c.leaderOf(g, others) !== undefined),
      "the other nodes elect new leaders",
    );
    // New entries take the stranded entries' indexes.
    await Promise.all(
      itsGroups.map((g) =>
        c.leaderOf(g, others)!.groups.get(g)!.group.propose({ key: "winner", value: g }),
      ),
    );
    c.network.healAll();
    await c.driveUntil(
      () => stranded.every((outcome) => outcome.settled),
      "every stranded proposal settles",
    );

    for (const outcome of stranded) {
      expect(outcome.value).toBeUndefined();
      expect(
        isProposalDroppedError(outcome.error) || isProposalOutcomeUnknownError(outcome.error),
        `unexpected outcome ${String(outcome.error)}`,
      ).toBe(true);
    }
    await waitFor(
      () => itsGroups.every((g) => c.nodes.every((n) => stateOf(n, g).values.get("winner") === g)),
      { description: "every replica applied the new leaders' entries" },
    );
    for (const g of itsGroups) {
      for (const n of c.nodes) expect(stateOf(n, g).values.has("stranded")).toBe(false);
    }
    expectIdentical(c);
    expectAppliedOnce(c);
  });
});
