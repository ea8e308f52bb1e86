/**
 * The chaos fault hook on real processes (packages/flotilla/src/chaos-transport.ts): three
 * `flotilla node --chaos` processes over a nats-server; the control op `faults` cuts a group's
 * leader off both ways (drop 1 on its side toward the others, and on theirs toward it), the
 * rest elect a new leader in a higher term and keep taking writes; an empty rule list heals,
 * and the old leader follows the new one and catches up. Waits are bounded safety nets; nothing
 * asserts on elapsed time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlotillaClient } from "@flotilla/client";
import { NatsServer, liveChildren, waitFor } from "@flotilla/testkit";
import { NodeProcesses } from "../support/node-processes.js";

const CLUSTER = "chaos-itest";
const NODE_IDS = ["n1", "n2", "n3"] as const;
const GROUP_IDS = ["s-0", "s-1"];

type KvCommand = { op: "put"; key: string; value: number };

let server: NatsServer | undefined;
let nodes: NodeProcesses | undefined;
let client: FlotillaClient | undefined;

function fixture(): { nodes: NodeProcesses; client: FlotillaClient } {
  if (nodes === undefined || client === undefined) throw new Error("the cluster did not start");
  return { nodes, client };
}

beforeAll(async () => {
  server = await NatsServer.start();
  nodes = await NodeProcesses.start({
    nodeIds: NODE_IDS,
    cluster: CLUSTER,
    natsServers: () => [server?.url ?? ""],
    shards: `s:${GROUP_IDS.length}:kv:${NODE_IDS.join(",")}`,
    // Rebalancing off: it would move the leadership this test watches.
    extraFlags: () => ["--chaos", "--rebalance-ms", "0"],
    controlNats: { servers: server.url },
  });
  client = await FlotillaClient.connect({
    cluster: CLUSTER,
    nats: { servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100, timeout: 2_000 },
    timeoutMs: 10_000,
  });
  await nodes.waitForLeaders(GROUP_IDS, 60_000);
}, 120_000);

afterAll(async () => {
  await client?.close().catch(() => undefined);
  await nodes?.dispose();
  await server?.dispose();
  expect(liveChildren()).toBe(0);
}, 60_000);

/** `groupId`'s replica status on `nodeId`. */
async function replica(nodeId: string, groupId: string) {
  const status = await fixture().nodes.status(nodeId);
  const found = status.groups.find((group) => group.groupId === groupId);
  if (found === undefined) throw new Error(`${nodeId} does not host ${groupId}`);
  return found;
}

describe("the chaos fault hook (3 nodes started with --chaos)", () => {
  it("a two-way partition of a leader elects a new one; healing brings the old one back", async () => {
    const { nodes, client } = fixture();
    const group = client.group<KvCommand, unknown, unknown, unknown>("s-0");
    await group.propose({ op: "put", key: "before", value: 1 });
    const oldLeader = (await nodes.leaders()).get("s-0");
    if (oldLeader === undefined) throw new Error("s-0 has no leader");
    const oldTerm = (await replica(oldLeader, "s-0")).term;
    const others = NODE_IDS.filter((id) => id !== oldLeader);

    // Two-way: the leader drops everything toward the others, and they toward it.
    await nodes.control(oldLeader, {
      op: "faults",
      rules: others.map((to) => ({ to, drop: 1 })),
      seed: 1,
    });
    for (const nodeId of others) {
      await nodes.control(nodeId, { op: "faults", rules: [{ to: oldLeader, drop: 1 }] });
    }

    let newLeader: string | undefined;
    await waitFor(
      async () => {
        const statuses = await Promise.all(others.map((nodeId) => replica(nodeId, "s-0")));
        const leading = statuses.find((s) => s.role === "leader" && s.term > oldTerm);
        newLeader = leading?.leaderId;
        return newLeader !== undefined;
      },
      { description: "a new leader of s-0 among the others", timeoutMs: 30_000, intervalMs: 100 },
    );
    if (newLeader === undefined) throw new Error("unreachable");
    expect(others).toContain(newLeader);
    // The majority side takes writes while the old leader is cut off.
    await group.propose({ op: "put", key: "during", value: 2 }, { timeoutMs: 20_000 });
    const stats = (await nodes.status(oldLeader)).stats["chaos"] as Record<string, number>;
    expect(stats["rules"]).toBe(2);
    expect(stats["dropped"]).toBeGreaterThan(0);

    for (const nodeId of NODE_IDS) await nodes.control(nodeId, { op: "faults", rules: [] });
    const leaderAfter = newLeader;
    await waitFor(
      async () => {
        const old = await replica(oldLeader, "s-0");
        return old.role === "follower" && old.leaderId === leaderAfter;
      },
      {
        description: `${oldLeader} to follow ${leaderAfter} after healing`,
        timeoutMs: 30_000,
        intervalMs: 100,
      },
    );
    await nodes.waitForCatchUp(GROUP_IDS);
    const states = await Promise.all(NODE_IDS.map((nodeId) => nodes.state(nodeId, "s-0")));
    for (const state of states) {
      expect(state.entries.get("before")).toBe(1);
      expect(state.entries.get("during")).toBe(2);
    }
    expect((await nodes.status(oldLeader)).stats["chaos"]).toMatchObject({ rules: 0 });
  });
});
