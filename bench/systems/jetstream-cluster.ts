/**
 * NATS JetStream as REFERENCE.md runs it: three `nats-server`s on loopback, fully routed into one
 * cluster, each with JetStream on its own store dir, and one R3 file stream per group.
 * In 2.9 a PubAck means "in memory on a quorum" (the file store syncs every 60 s): "relaxed".
 * Creating many R3 streams takes a while, so creation is bounded; the cluster reports how many
 * it got.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort } from "../lib/free-port.js";
import { sleep } from "../lib/sleep.js";
import { OwnedProcess } from "./child-process.js";
import type { SystemCluster } from "./system-cluster.js";

const SERVERS = 3;
/** Streams created at once. */
const CREATE_CONCURRENCY = 8;

/** Starts the servers and creates up to `groups` R3 streams within `createTimeoutMs`. */
export async function startJetStream(
  groups: number,
  natsServerBinary: string,
  tempRoot: string,
  createTimeoutMs: number,
): Promise<SystemCluster> {
  const root = await mkdtemp(join(tempRoot, "jetstream-"));
  const ports: { client: number; route: number }[] = [];
  for (let i = 0; i < SERVERS; i++)
    ports.push({ client: await freePort(), route: await freePort() });
  const routes = ports.map((port) => `"nats-route://127.0.0.1:${port.route}"`).join(", ");
  const servers: { name: string; url: string; process: OwnedProcess }[] = [];
  const notes: string[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(servers.map((server) => server.process.stop(10_000)));
    await rm(root, { recursive: true, force: true }).catch(() => undefined);
  };
  try {
    // Every server knows every route from the start: a JetStream cluster refuses to start
    // without routes, so the testkit's "solicit the earlier members" order cannot be used.
    for (const [i, port] of ports.entries()) {
      const name = `js${i + 1}`;
      const configPath = join(root, `${name}.conf`);
      await writeFile(
        configPath,
        [
          `server_name: ${name}`,
          `listen: "127.0.0.1:${port.client}"`,
          `jetstream { store_dir: ${JSON.stringify(join(root, name))} }`,
          `cluster { name: js, listen: "127.0.0.1:${port.route}", routes: [${routes}] }`,
          "",
        ].join("\n"),
      );
      servers.push({
        name,
        url: `nats://127.0.0.1:${port.client}`,
        process: OwnedProcess.spawn(`nats-server ${name}`, natsServerBinary, ["-c", configPath]),
      });
    }
    const created = await createStreams(
      servers.map((server) => server.url),
      groups,
      createTimeoutMs,
      () => servers.find((server) => !server.process.running)?.process.logTail(),
    );
    if (created < groups) {
      notes.push(
        `JetStream: ${created} of ${groups} R3 streams created within ${createTimeoutMs / 1000} s; measured with ${created}.`,
      );
    }
    if (created === 0) throw new Error("jetstream: no stream could be created");
    return {
      system: "jetstream",
      durability: "relaxed",
      groups: created,
      target: {
        system: "jetstream",
        servers: servers.map((server) => ({ name: server.name, url: server.url })),
        streams: Array.from({ length: created }, (_, i) => ({
          name: `bench-${i}`,
          subjectPrefix: `bench.${i}`,
        })),
      },
      notes,
      serverPids: () =>
        servers
          .map((server) => server.process.pid)
          .filter((pid): pid is number => pid !== undefined),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Creates streams `bench-0 …` (R3, file) until `groups` exist or the deadline passes. */
async function createStreams(
  urls: readonly string[],
  groups: number,
  timeoutMs: number,
  deadServerLog: () => string | undefined,
): Promise<number> {
  const { connect } = await import("@nats-io/transport-node");
  const { jetstreamManager, StorageType } = await import("@nats-io/jetstream");
  const deadline = performance.now() + timeoutMs;
  let nc: Awaited<ReturnType<typeof connect>> | undefined;
  while (nc === undefined) {
    const dead = deadServerLog();
    if (dead !== undefined) throw new Error(`a JetStream server exited: ${dead.slice(-600)}`);
    try {
      nc = await connect({ servers: [...urls], maxReconnectAttempts: 10, timeout: 2_000 });
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await sleep(200);
    }
  }
  try {
    // The JetStream meta leader is elected after the routes form: retry until it answers.
    for (;;) {
      try {
        const jsm = await jetstreamManager(nc, { timeout: 5_000 });
        await jsm.getAccountInfo();
        break;
      } catch (error) {
        if (performance.now() > deadline) throw error;
        await sleep(250);
      }
    }
    const jsm = await jetstreamManager(nc, { timeout: 10_000 });
    let next = 0;
    let created = 0;
    const worker = async (): Promise<void> => {
      while (next < groups && performance.now() < deadline) {
        const i = next++;
        for (let attempt = 0; attempt < 5 && performance.now() < deadline; attempt++) {
          try {
            await jsm.streams.add({
              name: `bench-${i}`,
              subjects: [`bench.${i}.>`],
              storage: StorageType.File,
              num_replicas: 3,
            });
            created++;
            break;
          } catch {
            await sleep(250);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, worker));
    // Streams are numbered contiguously from 0 only if none failed; count the prefix that exists.
    let contiguous = 0;
    while (contiguous < created) {
      try {
        await jsm.streams.info(`bench-${contiguous}`);
        contiguous++;
      } catch {
        break;
      }
    }
    return contiguous;
  } finally {
    await nc.close();
  }
}
