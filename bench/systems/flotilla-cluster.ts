/**
 * Flotilla as users run it: one `nats-server` (the testkit's launcher: loopback, ports it picks
 * itself) and three `flotilla node` processes hosting the sharded set `kv-0 … kv-(G-1)` with
 * every group on all three nodes, logs in LMDB under a temp dir, leader balancing off so the
 * window sees no planned leader moves.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NatsServer } from "@flotilla/testkit";
import { OwnedProcess } from "./child-process.js";
import type { Durability, SystemCluster } from "./system-cluster.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(REPO, "packages", "flotilla", "src", "cli.ts");
const CLUSTER = "bench";
const SHARDS = "kv";
const NODE_IDS = ["n1", "n2", "n3"] as const;

/** Starts nats-server and three nodes; the load generator's ready phase waits for leaders. */
export async function startFlotilla(
  groups: number,
  durability: Durability,
  natsServerBinary: string,
  tempRoot: string,
): Promise<SystemCluster> {
  const root = await mkdtemp(join(tempRoot, "flotilla-"));
  const server = await NatsServer.start({ binary: natsServerBinary });
  const nodes = NODE_IDS.map((nodeId) =>
    // tsx's loader inside the node process itself, so the pid measured is the node's.
    OwnedProcess.spawn(
      `flotilla ${nodeId}`,
      process.execPath,
      [
        "--import",
        "tsx",
        "--conditions=@flotilla/source",
        CLI,
        "node",
        "--node-id",
        nodeId,
        "--cluster",
        CLUSTER,
        "--nats",
        server.url,
        "--data-dir",
        join(root, nodeId),
        "--durability",
        durability,
        "--shards",
        `${SHARDS}:${groups}:kv:${NODE_IDS.join(",")}`,
        "--rebalance-ms",
        "0",
        "--log-level",
        "warn",
      ],
      { cwd: REPO },
    ),
  );
  let stopped = false;
  return {
    system: "flotilla",
    durability,
    groups,
    target: { system: "flotilla", cluster: CLUSTER, natsUrl: server.url, shards: SHARDS, groups },
    notes: [],
    serverPids: () =>
      [...nodes.map((node) => node.pid), server.pid].filter(
        (pid): pid is number => pid !== undefined,
      ),
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(nodes.map((node) => node.stop(10_000)));
      await server.dispose().catch(() => undefined);
      await rm(root, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
