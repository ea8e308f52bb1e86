/**
 * Membership end to end over a real nats-server, while a client writes: a fourth node joins a
 * group as a learner and catches up through a snapshot (the log is compacted), is promoted to
 * voter, and an old member is removed — each step through the control subject, as
 * `flotilla add-learner | promote | remove-member` send it. Every acknowledged write is on every
 * member afterwards. The nodes run `startNodeProcess` (what `flotilla node` runs) in this
 * process.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlotillaClient, decodeWire } from "@flotilla/client";
import { NatsServer } from "@flotilla/testkit";
import type { RunningNode } from "flotilla";
import { startInProcessNode, until } from "../support/in-process-nodes.js";
import { controlRequest } from "../support/operator.js";

const CLUSTER = "members";
const REPO = fileURLToPath(new URL("../..", import.meta.url));

/** Runs the `flotilla` CLI as an operator would, in its own process. */
async function flotilla(...args: string[]): Promise<{ stdout: string; code: number }> {
  const cli = [
    "--import",
    "tsx",
    "--conditions=@flotilla/source",
    "packages/flotilla/src/cli.ts",
    ...args,
    "--cluster",
    CLUSTER,
    "--nats",
    server.url,
  ];
  try {
    const { stdout } = await promisify(execFile)(process.execPath, cli, {
      cwd: REPO,
      timeout: 60_000,
    });
    return { stdout, code: 0 };
  } catch (error) {
    const failed = error as { stdout?: string; code?: number };
    return { stdout: failed.stdout ?? "", code: failed.code ?? 1 };
  }
}
const GROUP = "m-0";
const FOUNDERS = ["n1", "n2", "n3"];

let server: NatsServer;
let root: string;
let client: FlotillaClient;
const running = new Map<string, RunningNode>();

async function startNode(nodeId: string, shards: string | undefined): Promise<void> {
  const options = { cluster: CLUSTER, natsUrl: server.url, root, snapshotEntries: 40 };
  running.set(nodeId, await startInProcessNode(options, nodeId, shards));
}

async function control(nodeId: string, request: Record<string, unknown>): Promise<unknown> {
  return controlRequest(client.nc, CLUSTER, nodeId, request);
}

function statusOf(nodeId: string) {
  return running
    .get(nodeId)!
    .node.status()
    .find((s) => s.groupId === GROUP);
}

function leader(): string {
  for (const nodeId of running.keys()) if (statusOf(nodeId)?.role === "leader") return nodeId;
  throw new Error("no leader");
}

beforeAll(async () => {
  server = await NatsServer.start();
  root = await mkdtemp(join(tmpdir(), "flotilla-members-"));
  for (const nodeId of FOUNDERS) await startNode(nodeId, `m:1:kv:${FOUNDERS.join(",")}`);
  client = await FlotillaClient.connect({ cluster: CLUSTER, nats: { servers: server.url } });
}, 60_000);

afterAll(async () => {
  await client?.close();
  for (const node of running.values()) await node.shutDown();
  await server?.dispose();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

describe("membership over NATS while a client writes", () => {
  it("adds a learner that catches up through a snapshot, promotes it, removes an old member, and keeps every acknowledged write", async () => {
    const group = client.group<{ op: string; key: string; value: number }, unknown>(GROUP);
    const acknowledged: string[] = [];
    let writing = true;
    let sequence = 0;
    const writer = (async () => {
      while (writing) {
        const key = `k${sequence++}`;
        await group.propose({ op: "put", key, value: sequence });
        acknowledged.push(key);
      }
    })();
    // Should the test fail before `await writer`, afterAll's client.close() rejects the pending
    // proposal with ClosedConnectionError: handled here, not reported as an unhandled rejection.
    writer.catch(() => undefined);
    await until(() => acknowledged.length >= 150, "150 writes (the log is compacted by now)");

    // A fourth node joins: hosted with the founding members (the base its log replays from),
    // then added by the leader.
    await startNode("n4", undefined);
    await control("n4", { op: "create-group", groupId: GROUP, kind: "kv", members: FOUNDERS });
    await control(leader(), { op: "add-learner", groupId: GROUP, nodeId: "n4" });
    // Caught up: near the leader's commit index, and past the entry that made it a learner (a
    // snapshot may land it just before that entry on a busy machine).
    await until(
      () =>
        (statusOf("n4")?.appliedIndex ?? 0) >= (statusOf(leader())?.commitIndex ?? Infinity) - 5 &&
        statusOf("n4")?.learners.includes("n4") === true,
      "the learner caught up",
    );
    // It got there through a snapshot: its history starts with one.
    expect(running.get("n4")!.node.readCommitted(GROUP, 1, 1024).events[0]?.type).toBe("snapshot");
    expect(statusOf("n4")?.learners).toContain("n4");

    await control(leader(), { op: "promote", groupId: GROUP, nodeId: "n4" });
    await until(() => statusOf(leader())?.voters.includes("n4") === true, "n4 is a voter");
    const removed = leader() === "n3" ? "n2" : "n3";
    await control(leader(), { op: "remove-member", groupId: GROUP, nodeId: removed });
    await until(
      () => statusOf(leader())?.voters.includes(removed) === false,
      `${removed} is no longer a voter`,
    );
    const before = acknowledged.length;
    await until(() => acknowledged.length >= before + 50, "writes go on after the changes");
    writing = false;
    await writer;

    // Every acknowledged write is on every member, and the members agree.
    const members = [...running.keys()].filter((id) => id !== removed);
    const commit = statusOf(leader())!.commitIndex;
    await until(
      () => members.every((id) => (statusOf(id)?.appliedIndex ?? 0) >= commit),
      "every member applied everything",
    );
    const states = await Promise.all(
      members.map(async (nodeId) => {
        const { snapshot } = (await control(nodeId, { op: "state", groupId: GROUP })) as {
          snapshot: Uint8Array;
        };
        return new Map(decodeWire(snapshot) as [string, unknown][]);
      }),
    );
    for (const state of states) {
      expect(acknowledged.filter((key) => !state.has(key))).toEqual([]);
      expect(state.size).toBe(states[0]!.size);
    }
  });

  it("the flotilla CLI reports status as a table and as JSON, and rebalances", async () => {
    const nodes = [...running.keys()].join(",");
    const json = await flotilla("status", "--nodes", nodes, "--json");
    expect(json.code).toBe(0);
    const answers = JSON.parse(json.stdout) as {
      nodeId: string;
      status: { groups: { groupId: string; role: string }[] };
    }[];
    expect(answers.map((a) => a.nodeId).sort()).toEqual([...running.keys()].sort());
    const leaders = answers.flatMap((a) => a.status.groups.filter((g) => g.role === "leader"));
    expect(leaders.map((g) => g.groupId)).toEqual([GROUP]);

    const table = await flotilla("status", "--nodes", nodes);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(GROUP);
    expect(table.stdout).toContain("LEADER");

    expect((await flotilla("rebalance", "--nodes", nodes)).code).toBe(0);
    expect((await flotilla("status", "--nodes", "nobody-here", "--timeout-ms", "300")).code).toBe(
      1,
    );
  });
});
