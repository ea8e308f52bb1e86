/**
 * The NATS permissions of docs/security.md, enforced by a real nats-server running the exact
 * configuration block of that page: three `flotilla node` processes as node users, a client
 * that proposes and reads but whose publishes on Raft and control subjects are refused by the
 * server, an observer that cannot reach the control subject; the cluster is unaffected.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, errors as natsErrors, type NatsConnection } from "@nats-io/transport-node";
import { FlotillaClient, encodeWire } from "@flotilla/client";
import { NatsServer, liveChildren, waitFor } from "@flotilla/testkit";
import { NodeProcesses, type NodeStatus } from "../support/node-processes.js";

const CLUSTER = "orders";
const NODE_IDS = ["n1", "n2", "n3"] as const;
const GROUP_IDS = ["s-0", "s-1", "s-2", "s-3"] as const;
const SECURITY_DOC = fileURLToPath(new URL("../../docs/security.md", import.meta.url));
const USERS = [...NODE_IDS, "client", "operator", "observer"] as const;
/** Test-only passwords, handed to nats-server through the environment as the doc says. */
const PASSWORD = (user: string): string => `test-${user}-secret`;

let server: NatsServer | undefined;
let nodes: NodeProcesses | undefined;
const connections: NatsConnection[] = [];

function fixture(): { server: NatsServer; nodes: NodeProcesses } {
  if (server === undefined || nodes === undefined) throw new Error("the cluster did not start");
  return { server, nodes };
}

/** The configuration block between the nats-permissions markers of docs/security.md. */
async function documentedConfig(): Promise<string> {
  const doc = await readFile(SECURITY_DOC, "utf8");
  const block = /<!-- nats-permissions:begin -->\s*```[a-z]*\n([\s\S]*?)```/.exec(doc)?.[1];
  if (block === undefined) throw new Error("docs/security.md has no nats-permissions block");
  return block;
}

beforeAll(async () => {
  for (const user of USERS) process.env[`FLOTILLA_${user.toUpperCase()}_PASSWORD`] = PASSWORD(user);
  server = await NatsServer.start({ configExtra: await documentedConfig() });
  const url = server.url;
  nodes = await NodeProcesses.start({
    nodeIds: NODE_IDS,
    cluster: CLUSTER,
    natsServers: () => [url],
    shards: `s:${GROUP_IDS.length}:kv:${NODE_IDS.join(",")}`,
    extraFlags: (nodeId) => [
      ...["--user", nodeId, "--pass", PASSWORD(nodeId), "--rebalance-ms", "0"],
      // Snapshot and compact early, so a restarted node catches up by a chunked snapshot.
      ...["--snapshot-entries", "20", "--compaction-trailing", "5"],
    ],
    controlNats: { servers: url, user: "operator", pass: PASSWORD("operator") },
  });
  await nodes.waitForLeaders(GROUP_IDS, 60_000);
}, 120_000);

afterAll(async () => {
  await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)));
  await nodes?.dispose();
  await server?.dispose();
  expect(liveChildren()).toBe(0);
}, 60_000);

/** A connection as `user`, with every error its status stream reports. */
async function connectAs(
  user: (typeof USERS)[number],
): Promise<{ nc: NatsConnection; errors: Error[] }> {
  const nc = await connect({ servers: fixture().server.url, user, pass: PASSWORD(user) });
  connections.push(nc);
  const errors: Error[] = [];
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "error") errors.push(status.error);
    }
  })();
  return { nc, errors };
}

/** Waits (bounded) for the server to refuse a publish to `subject` on this connection. */
async function expectPublishRefused(errors: readonly Error[], subject: string): Promise<void> {
  await waitFor(
    () =>
      errors.some(
        (error) =>
          error instanceof natsErrors.PermissionViolationError &&
          error.operation === "publish" &&
          error.subject === subject,
      ),
    { description: `a publish permission violation on ${subject}`, timeoutMs: 10_000 },
  );
}

function transportStat(status: NodeStatus, name: string): number {
  const transport = status.stats["transport"] as Record<string, unknown> | undefined;
  const value = transport?.[name];
  return typeof value === "number" ? value : 0;
}

function transportRejected(status: NodeStatus): number {
  return transportStat(status, "rejected");
}

/** Every node runs, and every group commits a write and reads it back, as the client user. */
async function expectClusterCommits(client: FlotillaClient, tag: string): Promise<void> {
  expect(fixture().nodes.liveNodeIds()).toEqual([...NODE_IDS]);
  for (const groupId of GROUP_IDS) {
    const group = client.group(groupId);
    expect(await group.propose({ op: "put", key: tag, value: groupId })).toBe(null);
    expect(await group.read({ op: "get", key: tag })).toBe(groupId);
  }
}

describe("NATS permissions of docs/security.md (3 node processes as node users)", () => {
  it("a client-role user proposes and reads", async () => {
    const { nc } = await connectAs("client");
    const client = await FlotillaClient.connect({ cluster: CLUSTER, nats: nc });
    await expectClusterCommits(client, "client-can-write");
  }, 60_000);

  it("a client's publishes on Raft and control subjects are refused; the cluster carries on", async () => {
    const { nodes } = fixture();
    const { nc, errors } = await connectAs("client");
    const client = await FlotillaClient.connect({ cluster: CLUSTER, nats: nc });
    const rejectedBefore = transportRejected(await nodes.status("n1"));
    const leaderBefore = await nodes.leaders();

    const forbidden = [
      `flotilla.${CLUSTER}.raft.n1`,
      `flotilla.${CLUSTER}.raft.n1.bulk`,
      `flotilla.${CLUSTER}.raft.n1.snapshot`,
      `flotilla.${CLUSTER}.ctl.n1`,
    ];
    // A TimeoutNow for s-0 would depose its leader if it arrived; a control request would move it.
    nc.publish(forbidden[0] ?? "", encodeWire([1, "n2", [[8, "s-0", "n2", "n1", 1_000_000]]]));
    nc.publish(forbidden[1] ?? "", encodeWire([1, "n2", []]));
    nc.publish(forbidden[2] ?? "", new Uint8Array([1, 2, 3]));
    nc.publish(forbidden[3] ?? "", encodeWire({ v: 1, op: "delete-group", groupId: "s-0" }));
    for (const subject of forbidden) await expectPublishRefused(errors, subject);

    // Nor may a client listen to a node's Raft traffic.
    const eavesdrop = nc.subscribe(`flotilla.${CLUSTER}.raft.n1`);
    await expect(eavesdrop.closed).resolves.toBeInstanceOf(natsErrors.PermissionViolationError);

    // The connection stays up, nothing reached the node, and the cluster is unchanged.
    expect(nc.isClosed()).toBe(false);
    expect(transportRejected(await nodes.status("n1"))).toBe(rejectedBefore);
    for (const nodeId of NODE_IDS) {
      const groups = (await nodes.status(nodeId)).groups.map((g) => g.groupId);
      expect(groups, nodeId).toEqual(expect.arrayContaining([...GROUP_IDS]));
    }
    await expectClusterCommits(client, "after-refused-publishes");
    expect((await nodes.leaders()).get("s-0")).toBe(leaderBefore.get("s-0"));
  }, 60_000);

  it("an observer cannot reach the control subject but sees leadership events", async () => {
    const { nodes } = fixture();
    const { nc, errors } = await connectAs("observer");
    const events: string[] = [];
    const subscription = nc.subscribe(`flotilla.${CLUSTER}.g.*.events`, {
      callback: (_error, msg) => {
        events.push(msg.subject);
      },
    });
    await nc.flush();

    const control = `flotilla.${CLUSTER}.ctl.n1`;
    nc.publish(control, encodeWire({ v: 1, op: "status" }));
    await expectPublishRefused(errors, control);

    // An operator moves a leader: the observer sees the event.
    const groupId = "s-1";
    const leader = (await nodes.leaders()).get(groupId);
    const to = NODE_IDS.find((nodeId) => nodeId !== leader) ?? "n1";
    await waitFor(
      async () => {
        if ((await nodes.leaders()).get(groupId) === to) return true;
        const current = (await nodes.leaders()).get(groupId);
        if (current !== undefined) {
          await nodes.control(current, { op: "transfer-leader", groupId, to });
        }
        return false;
      },
      { description: `${to} to lead ${groupId}`, timeoutMs: 30_000, intervalMs: 500 },
    );
    await waitFor(() => events.includes(`flotilla.${CLUSTER}.g.${groupId}.events`), {
      description: "the observer to see a leadership event",
      timeoutMs: 10_000,
    });
    expect(subscription.isClosed()).toBe(false);
    expect(nc.isClosed()).toBe(false);
  }, 60_000);

  it("a node restarted behind a compacted log catches up by a chunked snapshot (node users)", async () => {
    const { nodes } = fixture();
    const { nc } = await connectAs("client");
    const client = await FlotillaClient.connect({ cluster: CLUSTER, nats: nc });
    const groupId = "s-0";
    await nodes.kill("n3", "SIGKILL");
    const completedBefore = await snapshotTransfersCompleted();
    // 40 values of 8 KiB: past the snapshot threshold (20 entries), and a snapshot well above
    // the 64 KiB inline bound, so it travels in chunks acknowledged through allow_responses.
    const group = client.group(groupId);
    for (let i = 0; i < 40; i++) {
      const value = new Uint8Array(8 * 1024).fill(i);
      expect(await group.propose({ op: "put", key: `bulk-${i}`, value })).toBe(null);
    }
    nodes.start("n3");
    await nodes.waitUntilServing("n3");
    await nodes.waitForCatchUp([groupId]);
    const states = await Promise.all(NODE_IDS.map((nodeId) => nodes.state(nodeId, groupId)));
    for (const state of states) {
      expect(state.appliedIndex).toBe(states[0]?.appliedIndex);
      expect([...state.entries.keys()]).toEqual([...(states[0]?.entries.keys() ?? [])]);
      expect(state.entries.size).toBeGreaterThanOrEqual(40);
    }
    expect(await snapshotTransfersCompleted()).toBeGreaterThan(completedBefore);
    await expectClusterCommits(client, "after-snapshot-catch-up");
  }, 90_000);
});

/** Chunked snapshot transfers completed by the running nodes (senders' counters). */
async function snapshotTransfersCompleted(): Promise<number> {
  const statuses = await fixture().nodes.statuses();
  return [...statuses.values()].reduce(
    (sum, status) => sum + transportStat(status, "snapshotTransfersCompleted"),
    0,
  );
}
