/**
 * The demo's cluster as it runs in production: a local nats-server and three `flotilla node`
 * processes hosting the groups (kind `kv`, logs in LMDB, strict durability), a client connected
 * with `FlotillaClient`, and the nodes' state read over their control subjects. A kill is a
 * real SIGKILL; a restart starts the same command again on the same data directory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CLIENT_PROTOCOL_VERSION,
  ClientSubjects,
  FlotillaClient,
  decodeReply,
  decodeWire,
  encodeWire,
} from "@flotilla/client";
import type { ReplicaStatus } from "@flotilla/runtime";
import { NatsServer } from "@flotilla/testkit";
import type { DemoCluster, ReplicaState } from "./demo-cluster.js";
import { digestOf, type DemoPut } from "./demo-state-machine.js";

const REPO = fileURLToPath(new URL("..", import.meta.url));
/** tsx's loader inside the node process itself: a SIGKILL then hits the node, not a wrapper. */
const TSX_LOADER = "tsx";
const CLI = join(REPO, "packages", "flotilla", "src", "cli.ts");
const CLUSTER = "demo";
const STATUS_POLL_MS = 250;

/** Three node processes over a local nats-server. */
export class NatsProcessCluster implements DemoCluster {
  readonly nodeIds = ["n1", "n2", "n3"];
  readonly killVerb = "SIGKILL";
  readonly description: string;
  private readonly processes = new Map<string, ChildProcess>();
  private readonly statuses = new Map<string, readonly ReplicaStatus[] | undefined>();
  private readonly subjects = new ClientSubjects(CLUSTER);
  private poller: NodeJS.Timeout | undefined;

  private constructor(
    readonly groupIds: readonly string[],
    private readonly server: NatsServer,
    private readonly client: FlotillaClient,
    private readonly root: string,
  ) {
    this.description = `3 node processes over nats-server ${server.url}, LMDB on disk`;
  }

  /** Starts nats-server (the binary at `natsServer`) and three nodes hosting `groups` groups. */
  static async start(groups: number, natsServer: string): Promise<NatsProcessCluster> {
    const root = await mkdtemp(join(tmpdir(), "flotilla-demo-"));
    const server = await NatsServer.start({ binary: natsServer });
    try {
      const client = await FlotillaClient.connect({
        cluster: CLUSTER,
        nats: { servers: server.url, maxReconnectAttempts: -1 },
        timeoutMs: 5_000,
      });
      const groupIds = Array.from({ length: groups }, (_, i) => `demo-${i}`);
      const cluster = new NatsProcessCluster(groupIds, server, client, root);
      for (const id of cluster.nodeIds) cluster.spawnNode(id);
      cluster.poller = setInterval(() => void cluster.pollStatus(), STATUS_POLL_MS);
      return cluster;
    } catch (error) {
      await server.stop();
      throw error;
    }
  }

  propose(groupId: string, put: DemoPut): Promise<unknown> {
    return this.client.group(groupId).propose({ op: "put", key: put.key, value: put.value });
  }

  status(): Map<string, readonly ReplicaStatus[] | undefined> {
    return new Map(this.nodeIds.map((id) => [id, this.statuses.get(id)]));
  }

  async kill(nodeId: string): Promise<void> {
    const child = this.processes.get(nodeId);
    if (child === undefined) return;
    this.processes.delete(nodeId);
    this.statuses.set(nodeId, undefined);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  restart(nodeId: string): Promise<void> {
    if (!this.processes.has(nodeId)) this.spawnNode(nodeId);
    return Promise.resolve();
  }

  rebalance(): void {
    for (const nodeId of this.processes.keys())
      void this.control(nodeId, { op: "rebalance" }).catch(() => undefined);
  }

  async settle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      await this.pollStatus();
      const all = [...this.processes.keys()].map((id) => this.statuses.get(id));
      if (all.every((replicas) => replicas !== undefined)) {
        const replicas = all.flatMap((r) => r ?? []);
        const commit = new Map<string, number>();
        for (const r of replicas)
          commit.set(r.groupId, Math.max(commit.get(r.groupId) ?? 0, r.commitIndex));
        if (replicas.every((r) => r.appliedIndex >= (commit.get(r.groupId) ?? 0))) return true;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return false;
  }

  async states(): Promise<Map<string, Map<string, ReplicaState>>> {
    const states = new Map<string, Map<string, ReplicaState>>();
    for (const groupId of this.groupIds) {
      const perNode = new Map<string, ReplicaState>();
      for (const nodeId of this.processes.keys()) {
        const result = (await this.control(nodeId, { op: "state", groupId })) as {
          snapshot: Uint8Array;
        };
        const pairs = decodeWire(result.snapshot) as [string, unknown][];
        const values = new Map(pairs);
        perNode.set(nodeId, { digest: digestOf(values), values });
      }
      states.set(groupId, perNode);
    }
    return states;
  }

  async close(): Promise<void> {
    if (this.poller !== undefined) clearInterval(this.poller);
    await this.client.close().catch(() => undefined);
    const exits = [...this.processes.values()].map((child) => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      return exited.finally(() => clearTimeout(timer));
    });
    await Promise.all(exits);
    this.processes.clear();
    await this.server.stop();
    await rm(this.root, { recursive: true, force: true });
  }

  private spawnNode(nodeId: string): void {
    const child = spawn(
      process.execPath,
      [
        "--import",
        TSX_LOADER,
        "--conditions=@flotilla/source",
        CLI,
        "node",
        "--node-id",
        nodeId,
        "--cluster",
        CLUSTER,
        "--nats",
        this.server.url,
        "--data-dir",
        join(this.root, nodeId),
        "--shards",
        `demo:${this.groupIds.length}:kv:${this.nodeIds.join(",")}`,
        "--rebalance-ms",
        "3000",
        "--log-level",
        "warn",
      ],
      { cwd: REPO, stdio: ["ignore", "ignore", "inherit"] },
    );
    this.processes.set(nodeId, child);
    // If the demo itself dies, its nodes must not outlive it.
    const reap = (): void => {
      child.kill("SIGKILL");
    };
    process.once("exit", reap);
    child.once("exit", () => process.removeListener("exit", reap));
  }

  private async pollStatus(): Promise<void> {
    await Promise.all(
      [...this.processes.keys()].map(async (nodeId) => {
        try {
          const result = (await this.control(nodeId, { op: "status" })) as {
            groups: ReplicaStatus[];
          };
          if (this.processes.has(nodeId)) this.statuses.set(nodeId, result.groups);
        } catch {
          // Starting, or just killed: shown as down until it answers.
        }
      }),
    );
  }

  private async control(nodeId: string, request: Record<string, unknown>): Promise<unknown> {
    const message = await this.client.nc.request(
      this.subjects.control(nodeId),
      encodeWire({ v: CLIENT_PROTOCOL_VERSION, ...request }),
      { timeout: 2_000 },
    );
    const reply = decodeReply(message.data);
    if (reply["ok"] !== true)
      throw new Error(`control ${String(request["op"])} failed on ${nodeId}`);
    return reply["result"];
  }
}
