/**
 * A member that was removed and whose data was deleted joins its group again through
 * `flotilla add-learner`, while the group's log still holds its removal (nothing compacted):
 * the joiner replays the log from index 1, so it must start from the membership the group was
 * founded with. Found by the chaos run (seeds 1 and 2, `--join-with current`): created with the
 * current voters, the joiner's replay of its own removal did not apply ("cannot remove n2: not a
 * member"), its replica fail-stopped, and with it every group of its node.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlotillaClient } from "@flotilla/client";
import { NatsServer } from "@flotilla/testkit";
import type { RunningNode } from "flotilla";
import { startInProcessNode, until } from "../support/in-process-nodes.js";
import { controlRequest, runFlotillaCli } from "../support/operator.js";

const CLUSTER = "rejoin";
const GROUP = "r-0";
const FOUNDERS = ["n1", "n2", "n3"];

let server: NatsServer;
let root: string;
let client: FlotillaClient;
const running = new Map<string, RunningNode>();

async function control(nodeId: string, request: Record<string, unknown>): Promise<unknown> {
  return controlRequest(client.nc, CLUSTER, nodeId, request);
}

function statusOf(nodeId: string) {
  return running
    .get(nodeId)
    ?.node.status()
    .find((s) => s.groupId === GROUP);
}

function leader(): string | undefined {
  return FOUNDERS.find((nodeId) => statusOf(nodeId)?.role === "leader");
}

beforeAll(async () => {
  server = await NatsServer.start();
  root = await mkdtemp(join(tmpdir(), "flotilla-rejoin-"));
  // No snapshot during the test: the joiner must replay the log from index 1.
  const options = { cluster: CLUSTER, natsUrl: server.url, root, snapshotEntries: 100_000 };
  for (const nodeId of FOUNDERS) {
    running.set(nodeId, await startInProcessNode(options, nodeId, `r:1:kv:${FOUNDERS.join(",")}`));
  }
  client = await FlotillaClient.connect({ cluster: CLUSTER, nats: { servers: server.url } });
}, 60_000);

afterAll(async () => {
  await client?.close();
  for (const node of running.values()) await node.shutDown();
  await server?.dispose();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

describe("a removed member joins again", () => {
  it("rejoins through flotilla add-learner while the log still holds its removal, and catches up", async () => {
    const group = client.group<{ op: string; key: string; value: number }, unknown>(GROUP);
    for (let i = 0; i < 20; i++) await group.propose({ op: "put", key: `before-${i}`, value: i });
    await until(() => leader() !== undefined, "a leader");
    const leaderId = leader()!;
    const removed = FOUNDERS.find((nodeId) => nodeId !== leaderId)!;

    await control(leaderId, { op: "remove-member", groupId: GROUP, nodeId: removed });
    await until(
      () => statusOf(leaderId)?.voters.includes(removed) === false,
      `${removed} left the group`,
    );
    await control(removed, { op: "delete-group", groupId: GROUP });
    for (let i = 0; i < 20; i++) await group.propose({ op: "put", key: `after-${i}`, value: i });

    const nodes = FOUNDERS.join(",");
    const args = ["add-learner", "--group", GROUP, "--node", removed, "--nodes", nodes];
    await runFlotillaCli([...args, "--timeout-ms", "15000"], CLUSTER, server.url);

    const commit = statusOf(leaderId)!.commitIndex;
    await until(
      () => (statusOf(removed)?.appliedIndex ?? 0) >= commit,
      `${removed} replayed the log through ${commit}`,
      60_000,
    );
    expect(statusOf(removed)?.learners).toContain(removed);
    // It replayed the log from its start (its own removal included), not a snapshot.
    expect(running.get(removed)!.node.readCommitted(GROUP, 1, 1 << 20).events[0]?.type).toBe(
      "entry",
    );
    // Its node still serves: a new write reaches the rejoined learner too, and then both hold
    // the same state at the same index.
    await group.propose({ op: "put", key: "last", value: 1 });
    const last = statusOf(leaderId)!.commitIndex;
    await until(
      () => statusOf(removed)?.appliedIndex === last && statusOf(leaderId)?.appliedIndex === last,
      "the learner follows",
    );
    const [atLeader, atJoiner] = (await Promise.all(
      [leaderId, removed].map((nodeId) => control(nodeId, { op: "state", groupId: GROUP })),
    )) as { appliedIndex: number; digest: string }[];
    expect(atJoiner).toMatchObject({ appliedIndex: last, digest: atLeader!.digest });
    expect(atLeader!.appliedIndex).toBe(last);
  });
});
