/**
 * One real `nats-server` process on loopback, for integration tests. The server picks its own
 * free ports (`listen: 127.0.0.1:-1`, reported through `--ports_file_dir`), so tests never race
 * for ports; a restart reuses the same client and cluster ports so clients and routes reconnect.
 * Whatever is started is stopped: by `stop()`/`await using`, and by the process-exit reaper.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { findNatsServerBinary } from "./nats-server-binary.js";
import { keepOnExit, reapOnExit, removeOnExit } from "./process-reaper.js";
import { NatsServerStartError, WaitTimeoutError } from "./testkit-errors.js";
import { waitFor } from "./wait-for.js";

/** How a {@link NatsServer} is configured. Every field has a test-friendly default. */
export interface NatsServerOptions {
  /** `server_name` (default: `flotilla-test-<random>`). */
  readonly serverName?: string;
  /** `max_payload` in bytes (server default: 1 MiB). */
  readonly maxPayloadBytes?: number;
  /** Require this user and password from clients. */
  readonly user?: string;
  readonly password?: string;
  /** Require this token from clients. */
  readonly token?: string;
  /** Join a NATS cluster (routes between servers); see {@link NatsCluster}. */
  readonly cluster?: { readonly name: string; readonly routes: readonly string[] };
  /** Appended verbatim to the generated configuration file. */
  readonly configExtra?: string;
  /** Bound on start-up until the server accepts connections (default 10 000 ms). */
  readonly startTimeoutMs?: number;
  /** Bound on a graceful stop before SIGKILL (default 5 000 ms). */
  readonly stopTimeoutMs?: number;
  /** The binary (default: {@link findNatsServerBinary}). */
  readonly binary?: string;
}

/** What a restart may change: a cluster member's routes to the other members. */
export interface NatsServerRestartOptions {
  readonly routes?: readonly string[];
}

/** The `--ports_file_dir` file nats-server writes once it listens. */
interface PortsFile {
  readonly nats?: readonly string[];
  readonly cluster?: readonly string[];
  readonly monitoring?: readonly string[];
}

const LOG_TAIL_BYTES = 16 * 1024;
const PROBE_TIMEOUT_MS = 1_000;

/**
 * A running (or stopped, restartable) nats-server bound to 127.0.0.1.
 *
 * @example
 * await using server = await NatsServer.start({ maxPayloadBytes: 64 * 1024 });
 * const nc = await connect({ servers: server.url });
 * await server.restart(); // same port: nc reconnects
 */
export class NatsServer implements AsyncDisposable {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private clientPort = -1;
  private clusterPort = -1;
  private monitorEndpoint = "";
  private log = "";
  private starts = 0;
  private routes: readonly string[];
  private disposed = false;
  private spawnFailed = false;

  private constructor(
    private readonly options: NatsServerOptions,
    private readonly binary: string,
    private readonly dir: string,
    /** The `server_name`. */
    readonly name: string,
  ) {
    this.routes = options.cluster?.routes ?? [];
  }

  /**
   * Starts a server and resolves once it accepts client connections.
   *
   * @throws {NatsServerNotFoundError} when no nats-server binary is installed.
   * @throws {NatsServerStartError} when it exits or does not listen within `startTimeoutMs`.
   */
  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const binary = options.binary ?? findNatsServerBinary();
    const dir = await mkdtemp(join(tmpdir(), "flotilla-nats-"));
    removeOnExit(dir);
    const name = options.serverName ?? `flotilla-test-${Math.random().toString(36).slice(2, 8)}`;
    const server = new NatsServer(options, binary, dir, name);
    try {
      await server.launch();
    } catch (error) {
      await server.dispose();
      throw error;
    }
    return server;
  }

  /** The client URL, `nats://127.0.0.1:<port>`. Stable across restarts. */
  get url(): string {
    return `nats://127.0.0.1:${this.clientPort}`;
  }

  /** The client port the server chose at first start. */
  get port(): number {
    return this.clientPort;
  }

  /** The route URL other cluster members connect to, when clustered. */
  get routeUrl(): string | undefined {
    return this.options.cluster === undefined
      ? undefined
      : `nats-route://127.0.0.1:${this.clusterPort}`;
  }

  /** The HTTP monitoring endpoint (`/varz`, `/routez`, …) of the current run. */
  get monitorUrl(): string {
    return this.monitorEndpoint;
  }

  /** The process id while running. */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** True from start until the process exits. */
  get running(): boolean {
    const child = this.child;
    return (
      child?.pid !== undefined &&
      child.exitCode === null &&
      child.signalCode === null &&
      !this.spawnFailed
    );
  }

  /** The last lines the server logged (all runs), for failure messages. */
  logTail(): string {
    return this.log;
  }

  /** Graceful stop: SIGTERM, then SIGKILL after `stopTimeoutMs`. Resolves once it exited. */
  async stop(): Promise<void> {
    await this.terminate("SIGTERM");
  }

  /** Hard stop (a crash): SIGKILL. Resolves once it exited. */
  async kill(): Promise<void> {
    await this.terminate("SIGKILL");
  }

  /** Stops the server if running, then starts it again on the same client and cluster ports. */
  async restart(options: NatsServerRestartOptions = {}): Promise<void> {
    if (this.disposed) throw new Error("restart after dispose");
    await this.stop();
    if (options.routes !== undefined) this.routes = options.routes;
    await this.launch();
  }

  /** Stops the server and removes its directory. Idempotent. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.terminate("SIGTERM");
    await rm(this.dir, { recursive: true, force: true });
    keepOnExit(this.dir);
  }

  /** `await using server = await NatsServer.start()` stops it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  private async launch(): Promise<void> {
    this.starts++;
    const portsDir = join(this.dir, `run-${this.starts}`);
    await mkdir(portsDir);
    const configPath = join(this.dir, `nats-${this.starts}.conf`);
    await writeFile(configPath, this.config());
    const child = spawn(this.binary, ["-c", configPath, "--ports_file_dir", portsDir], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    reapOnExit(child);
    this.child = child;
    this.spawnFailed = false;
    const onOutput = (chunk: Buffer): void => {
      this.log = (this.log + chunk.toString("utf8")).slice(-LOG_TAIL_BYTES);
    };
    child.stdout?.on("data", onOutput);
    child.stderr?.on("data", onOutput);
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    const spawnFailed = new Promise<never>((_, reject) => {
      child.once("error", (error) => {
        this.spawnFailed = true;
        reject(
          new NatsServerStartError(`spawn failed: ${error.message}`, this.log, { cause: error }),
        );
      });
      void this.exited.then(() =>
        reject(
          new NatsServerStartError(
            `exited with ${child.exitCode ?? child.signalCode ?? "?"} before listening`,
            this.log,
          ),
        ),
      );
    });
    spawnFailed.catch(() => undefined); // handled by the race below or ignored once started
    try {
      await Promise.race([this.waitUntilListening(portsDir, child), spawnFailed]);
    } catch (error) {
      await this.terminate("SIGKILL");
      if (error instanceof WaitTimeoutError) {
        throw new NatsServerStartError(error.message, this.log, { cause: error });
      }
      throw error;
    }
  }

  private async waitUntilListening(portsDir: string, child: ChildProcess): Promise<void> {
    const timeoutMs = this.options.startTimeoutMs ?? 10_000;
    let ports: PortsFile | undefined;
    await waitFor(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) return true; // spawnFailed wins
        ports = await readPortsFile(portsDir, child.pid);
        return (
          ports !== undefined &&
          (ports.nats?.length ?? 0) > 0 &&
          (ports.monitoring?.length ?? 0) > 0 &&
          (this.options.cluster === undefined || (ports.cluster?.length ?? 0) > 0)
        );
      },
      { description: `the ports file of ${this.name}`, timeoutMs, intervalMs: 10 },
    );
    if (ports === undefined) return;
    this.clientPort = portOf(ports.nats?.[0]);
    if (this.options.cluster !== undefined) this.clusterPort = portOf(ports.cluster?.[0]);
    this.monitorEndpoint = ports.monitoring?.[0] ?? "";
    await waitFor(() => probeInfo(this.clientPort), {
      description: `${this.name} to accept connections on port ${this.clientPort}`,
      timeoutMs,
      intervalMs: 20,
    });
  }

  private async terminate(signal: "SIGTERM" | "SIGKILL"): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running) return;
    child.kill(signal);
    const stopTimeoutMs = this.options.stopTimeoutMs ?? 5_000;
    const graceful = await Promise.race([
      this.exited.then(() => true),
      delay(stopTimeoutMs).then(() => false),
    ]);
    if (!graceful) {
      child.kill("SIGKILL");
      await this.exited;
    }
  }

  private config(): string {
    const lines = [
      `server_name: ${JSON.stringify(this.name)}`,
      // A restart binds the ports of the first run, so clients and routes find it again.
      `listen: "127.0.0.1:${this.clientPort}"`,
      `http: "127.0.0.1:-1"`,
    ];
    if (this.options.maxPayloadBytes !== undefined) {
      lines.push(`max_payload: ${this.options.maxPayloadBytes}`);
    }
    if (this.options.user !== undefined) {
      lines.push(
        `authorization { user: ${JSON.stringify(this.options.user)}, password: ${JSON.stringify(this.options.password ?? "")} }`,
      );
    } else if (this.options.token !== undefined) {
      lines.push(`authorization { token: ${JSON.stringify(this.options.token)} }`);
    }
    if (this.options.cluster !== undefined) {
      const routes = this.routes.map((route) => JSON.stringify(route)).join(", ");
      lines.push(
        `cluster { name: ${JSON.stringify(this.options.cluster.name)}, ` +
          `listen: "127.0.0.1:${this.clusterPort}", routes: [${routes}] }`,
      );
    }
    if (this.options.configExtra !== undefined) lines.push(this.options.configExtra);
    return lines.join("\n") + "\n";
  }
}

/** Reads `<exe>_<pid>.ports` in `dir`; undefined while it is missing or half written. */
async function readPortsFile(dir: string, pid: number | undefined): Promise<PortsFile | undefined> {
  if (pid === undefined) return undefined;
  const name = (await readdir(dir)).find((file) => file.endsWith(`_${pid}.ports`));
  if (name === undefined) return undefined;
  try {
    return JSON.parse(await readFile(join(dir, name), "utf8")) as PortsFile;
  } catch {
    return undefined; // written non-atomically: read again on the next poll
  }
}

function portOf(url: string | undefined): number {
  const port = url === undefined ? NaN : Number(new URL(url).port);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`no port in ${String(url)}`);
  return port;
}

/** True when a TCP connection to the port gets the server's `INFO` line within a bound. */
function probeInfo(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: "127.0.0.1", port });
    const finish = (accepted: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(accepted);
    };
    const timer = setTimeout(() => finish(false), PROBE_TIMEOUT_MS);
    socket.once("data", (data: Buffer) => finish(data.toString("utf8").startsWith("INFO ")));
    socket.once("error", () => finish(false));
    socket.once("close", () => finish(false));
  });
}
