/**
 * etcd as REFERENCE.md runs it: Debian's `etcd` (3.4), three members on loopback with data
 * under a temp dir. Ports are asked of the kernel rather than fixed, so a run never collides
 * with another engineer's etcd. etcd fdatasyncs its WAL before acknowledging: "strict".
 */
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { freePort } from "../lib/free-port.js";
import { sleep } from "../lib/sleep.js";
import { OwnedProcess } from "./child-process.js";
import type { SystemCluster } from "./system-cluster.js";

const MEMBERS = 3;

async function healthy(clientUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(1_000) });
    const body = (await response.json()) as { health?: unknown };
    return body.health === "true";
  } catch {
    return false;
  }
}

/** Starts three members and resolves once all report healthy (a leader is elected). */
export async function startEtcd(
  etcdBinary: string,
  tempRoot: string,
  startTimeoutMs: number,
): Promise<SystemCluster> {
  const root = await mkdtemp(join(tempRoot, "etcd-"));
  const ports: { client: number; peer: number }[] = [];
  for (let i = 0; i < MEMBERS; i++)
    ports.push({ client: await freePort(), peer: await freePort() });
  const initialCluster = ports
    .map((port, i) => `e${i + 1}=http://127.0.0.1:${port.peer}`)
    .join(",");
  const members = ports.map((port, i) =>
    OwnedProcess.spawn(`etcd e${i + 1}`, etcdBinary, [
      "--name",
      `e${i + 1}`,
      "--data-dir",
      join(root, `e${i + 1}`),
      "--listen-client-urls",
      `http://127.0.0.1:${port.client}`,
      "--advertise-client-urls",
      `http://127.0.0.1:${port.client}`,
      "--listen-peer-urls",
      `http://127.0.0.1:${port.peer}`,
      "--initial-advertise-peer-urls",
      `http://127.0.0.1:${port.peer}`,
      "--initial-cluster",
      initialCluster,
      "--initial-cluster-token",
      "bench",
      "--initial-cluster-state",
      "new",
      "--logger",
      "zap",
      "--log-level",
      "warn",
    ]),
  );
  const endpoints = ports.map((port) => `http://127.0.0.1:${port.client}`);
  let stopped = false;
  const cluster: SystemCluster = {
    system: "etcd",
    durability: "strict",
    groups: 1,
    target: { system: "etcd", endpoints },
    notes: [],
    serverPids: () =>
      members.map((member) => member.pid).filter((pid): pid is number => pid !== undefined),
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(members.map((member) => member.stop(10_000)));
      await rm(root, { recursive: true, force: true }).catch(() => undefined);
    },
  };
  const deadline = performance.now() + startTimeoutMs;
  for (;;) {
    const health = await Promise.all(endpoints.map(healthy));
    if (health.every(Boolean)) return cluster;
    const dead = members.find((member) => !member.running);
    if (dead !== undefined || performance.now() > deadline) {
      await cluster.stop();
      const why = dead === undefined ? "not healthy in time" : `${dead.name} exited`;
      throw new Error(`etcd: ${why}: ${(dead ?? members[0])?.logTail().slice(-600) ?? ""}`);
    }
    await sleep(200);
  }
}
