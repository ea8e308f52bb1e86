/**
 * The testkit's nats-server fixture against the real binary: it starts on a port the server
 * chose, accepts connections, restarts on the same port, forms a 3-server cluster with routes
 * that heals after a member is killed, and leaves no process behind.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import {
  NatsCluster,
  NatsServer,
  NatsServerNotFoundError,
  NatsServerStartError,
  findNatsServerBinary,
  isProcessAlive,
  liveChildren,
  waitFor,
} from "@flotilla/testkit";

const disposables: AsyncDisposable[] = [];
const connections: NatsConnection[] = [];

afterEach(async () => {
  await Promise.all(connections.splice(0).map((nc) => nc.close()));
  await Promise.all(disposables.splice(0).map((d) => d[Symbol.asyncDispose]()));
  expect(liveChildren()).toBe(0);
});

async function track<T extends AsyncDisposable>(value: Promise<T>): Promise<T> {
  const resolved = await value;
  disposables.push(resolved);
  return resolved;
}

async function connectTo(servers: string | string[]): Promise<NatsConnection> {
  const nc = await connect({
    servers,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 50,
    timeout: 2_000,
  });
  connections.push(nc);
  return nc;
}

describe("NatsServer", () => {
  it("finds the binary on PATH or at /usr/sbin/nats-server", () => {
    expect(findNatsServerBinary()).toMatch(/nats-server$/);
  });

  it("fails with a typed error and the install hint when there is no binary", async () => {
    let error: unknown;
    try {
      findNatsServerBinary("/nonexistent-a:/nonexistent-b", []);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(NatsServerNotFoundError);
    const notFound = error as NatsServerNotFoundError;
    expect(notFound.code).toBe("NATS_SERVER_NOT_FOUND");
    expect(notFound.searched).toEqual(["/nonexistent-a/nats-server", "/nonexistent-b/nats-server"]);
    expect(notFound.message).toContain("apt-get install nats-server");
    // The Debian location is tried after PATH.
    if (existsSync("/usr/sbin/nats-server")) {
      expect(findNatsServerBinary("/nonexistent")).toBe("/usr/sbin/nats-server");
    }
    await expect(NatsServer.start({ binary: "/nonexistent/nats-server" })).rejects.toThrow(
      NatsServerStartError,
    );
  });

  it("starts on a loopback port of the server's choosing and accepts connections", async () => {
    const server = await track(NatsServer.start({ maxPayloadBytes: 64 * 1024 }));
    expect(server.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    expect(server.port).toBeGreaterThan(0);
    const nc = await connectTo(server.url);
    expect(nc.info?.max_payload).toBe(64 * 1024);
  });

  it("restarts on the same port, and a connected client reconnects", async () => {
    const server = await track(NatsServer.start());
    const port = server.port;
    const nc = await connectTo(server.url);
    const firstPid = server.pid!;
    await server.kill();
    expect(server.running).toBe(false);
    expect(isProcessAlive(firstPid)).toBe(false);
    await server.restart();
    expect(server.port).toBe(port);
    expect(server.pid).not.toBe(firstPid);
    const sub = nc.subscribe("after.restart", { max: 1 });
    await waitFor(
      async () => {
        nc.publish("after.restart", "x");
        await nc.flush();
        return sub.getReceived() === 1;
      },
      { description: "a round trip after the restart", timeoutMs: 10_000, intervalMs: 100 },
    );
  });

  it("stop() ends the process and await using stops it at the end of the scope", async () => {
    let pid: number | undefined;
    {
      await using server = await NatsServer.start();
      pid = server.pid;
      expect(isProcessAlive(pid!)).toBe(true);
    }
    expect(isProcessAlive(pid!)).toBe(false);
  });
});

describe("the exit reaper", () => {
  it("kills a server its process never stopped, when that process exits", async () => {
    const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
    // A child process starts a server, prints its pid and exits without stopping it.
    const script =
      'import { NatsServer } from "@flotilla/testkit";' +
      "const server = await NatsServer.start();" +
      "console.log(server.pid);" +
      "console.log(server.logTail().match(/Using configuration file: (.*)\\/nats-1.conf/)[1]);" +
      "process.exit(0);";
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--conditions=@flotilla/source", "--import", "tsx", "--input-type=module", "-e", script],
      { cwd: repoRoot, timeout: 30_000 },
    );
    const [pidLine, dir] = stdout.trim().split("\n");
    const pid = Number(pidLine);
    expect(pid).toBeGreaterThan(0);
    await waitFor(() => !isProcessAlive(pid), { description: `nats-server ${pid} to be gone` });
    expect(existsSync(dir!)).toBe(false); // its temporary directory is gone too
  });
});

describe("NatsCluster", () => {
  it("forms a 3-server mesh; messages cross routes; a killed member rejoins after restart", async () => {
    const cluster = await track(NatsCluster.start({ size: 3 }));
    expect(new Set(cluster.urls).size).toBe(3);
    const subscriber = await connectTo(cluster.server(0).url);
    const publisher = await connectTo(cluster.server(2).url);
    const sub = subscriber.subscribe("across.routes");
    await subscriber.flush();
    await waitFor(
      async () => {
        publisher.publish("across.routes", "x");
        await publisher.flush();
        return sub.getReceived() > 0;
      },
      { description: "a message across the routes", timeoutMs: 10_000, intervalMs: 50 },
    );
    await cluster.server(1).kill();
    await cluster.restart(1);
    expect(cluster.server(1).running).toBe(true);
    await cluster.server(0).kill();
    await cluster.restart(0); // the first member, whose routes the others solicited
    expect(cluster.server(0).running).toBe(true);
  });
});
