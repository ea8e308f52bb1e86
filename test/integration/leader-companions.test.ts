/**
 * Leader companions on real `flotilla node` processes: a `--kinds` module exports a kind and its
 * companion (fixtures/companion-kinds.ts), which each node runs for every group of that kind it
 * leads — the groups it was started with and one made later by `create-group` — and which
 * runs again on the new leader, with a higher term, after a leadership transfer.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NatsServer, liveChildren, waitFor } from "@flotilla/testkit";
import { NodeProcesses } from "../support/node-processes.js";

const CLUSTER = "companions";
const NODE_IDS = ["n1", "n2", "n3"] as const;
const GROUP_IDS = ["st-0", "st-1"];
const KINDS = fileURLToPath(new URL("fixtures/companion-kinds.ts", import.meta.url));

let server: NatsServer | undefined;
let nodes: NodeProcesses | undefined;

function cluster(): NodeProcesses {
  if (nodes === undefined) throw new Error("the cluster did not start");
  return nodes;
}

beforeAll(async () => {
  server = await NatsServer.start();
  nodes = await NodeProcesses.start({
    nodeIds: NODE_IDS,
    cluster: CLUSTER,
    natsServers: () => [server?.url ?? ""],
    shards: `st:${GROUP_IDS.length}:stamped:${NODE_IDS.join(",")}`,
    extraFlags: () => ["--kinds", KINDS, "--rebalance-ms", "0"],
    controlNats: { servers: server.url },
  });
  await nodes.waitForLeaders(GROUP_IDS, 60_000);
}, 120_000);

afterAll(async () => {
  await nodes?.dispose();
  await server?.dispose();
  expect(liveChildren()).toBe(0);
}, 60_000);

/** Waits until `groupId`'s leader has stamped it (as every running replica applied it). */
async function waitForStamp(groupId: string): Promise<{ nodeId: string; term: number }> {
  const nodes = cluster();
  let stamp: { nodeId: string; term: number } | undefined;
  await waitFor(
    async () => {
      const leaderId = (await nodes.leaders()).get(groupId);
      if (leaderId === undefined) return false;
      const term = (await nodes.status(leaderId)).groups.find((g) => g.groupId === groupId)?.term;
      const value = (await nodes.state(leaderId, groupId)).entries.get("leader") as
        { nodeId: string; term: number } | undefined;
      stamp = value;
      return value?.nodeId === leaderId && value.term === term;
    },
    { description: `${groupId}'s leader to stamp it`, timeoutMs: 30_000, intervalMs: 100 },
  );
  if (stamp === undefined) throw new Error("unreachable");
  return stamp;
}

describe("leader companions of a --kinds module (3 node processes)", () => {
  it("runs on the leader of every group of the kind, with its term", async () => {
    for (const groupId of GROUP_IDS) {
      const stamp = await waitForStamp(groupId);
      expect(NODE_IDS).toContain(stamp.nodeId);
      expect(stamp.term).toBeGreaterThan(0);
    }
  });

  it("runs again on the new leader, with a higher term, after a transfer", async () => {
    const nodes = cluster();
    const before = await waitForStamp("st-0");
    const to = NODE_IDS.find((id) => id !== before.nodeId) ?? "n1";
    await nodes.control(before.nodeId, { op: "transfer-leader", groupId: "st-0", to });
    await waitFor(async () => (await nodes.leaders()).get("st-0") === to, {
      description: `st-0 to move to ${to}`,
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    const after = await waitForStamp("st-0");
    expect(after.nodeId).toBe(to);
    expect(after.term).toBeGreaterThan(before.term);
  });

  it("runs for a group created later with create-group", async () => {
    const nodes = cluster();
    for (const nodeId of NODE_IDS) {
      await nodes.control(nodeId, {
        op: "create-group",
        groupId: "late",
        kind: "stamped",
        members: [...NODE_IDS],
      });
    }
    await nodes.waitForLeaders(["late"], 30_000);
    const stamp = await waitForStamp("late");
    expect(NODE_IDS).toContain(stamp.nodeId);
  });
});
