import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LmdbNodeStorage } from "@flotilla/storage-lmdb";
import { TestCluster, waitFor } from "./helpers.js";

let cluster: TestCluster | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

describe("restart over LMDB", () => {
  it("a stopped node restarts from its LMDB files, re-applies its log and catches up", async () => {
    const root = await mkdtemp(join(tmpdir(), "flotilla-runtime-"));
    dataDir = root;
    const open = (id: string) => LmdbNodeStorage.open(join(root, id), { durability: "strict" });
    const groupIds = ["g0", "g1"];
    cluster = await TestCluster.start(
      3,
      groupIds,
      {},
      (index) => ({ electionTicks: index === 0 ? 3 : 10 }),
      open,
    );
    await cluster.electAll(groupIds);
    const leader = cluster.leaderOf("g0")!;
    for (const groupId of groupIds) {
      await leader.groups.get(groupId)!.group.propose({ key: "before", value: groupId });
    }
    const c = cluster;
    await waitFor(
      () => groupIds.every((g) => c.nodes[2]!.groups.get(g)!.stateMachine.values.has("before")),
      { description: "n3 applied the first commands" },
    );
    await c.nodes[2]!.node.stop();
    for (const groupId of groupIds) {
      await leader.groups.get(groupId)!.group.propose({ key: "during", value: groupId });
    }
    const restarted = await c.restart(2, await open("n3"));
    await c.driveUntil(
      () =>
        groupIds.every((g) => {
          const values = restarted.groups.get(g)!.stateMachine.values;
          return values.get("before") === g && values.get("during") === g;
        }),
      "the restarted node re-applied its log and caught up",
    );
    for (const groupId of groupIds) {
      const digests = new Set(c.nodes.map((n) => n.groups.get(groupId)!.stateMachine.digest()));
      expect(digests.size).toBe(1);
    }
  });
});
