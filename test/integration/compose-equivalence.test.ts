/**
 * docker-compose.yml cannot drift from what works: this test reads the file (through
 * `docker-compose config`, which also validates it), then runs the same services as local
 * processes on loopback — the NATS servers as a testkit NatsCluster with the file's cluster name
 * and full mesh, each Flotilla node with exactly its service's environment and the image's entry
 * point, and the workload with its environment and a short WORKLOAD_SECONDS — and requires the
 * workload's verdict to report nothing lost. Only addresses and directories are rewritten:
 * service hostnames in FLOTILLA_NATS become the loopback servers' URLs, and each node's data
 * directory (a named volume in the file) becomes a temporary directory.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { NatsCluster } from "@flotilla/testkit";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const COMPOSE_FILE = join(REPO_ROOT, "docker-compose.yml");
const DOCKERFILE = join(REPO_ROOT, "docker", "Dockerfile");
const NODE_CONFIG_SOURCE = join(REPO_ROOT, "packages", "flotilla", "src", "node-config.ts");
/** The workload's writing window here (the file's is longer). */
const WORKLOAD_SECONDS = "5";
/** Bound on the workload: waiting for every group, writing, draining and verifying. */
const WORKLOAD_TIMEOUT_MS = 240_000;
/** Bound on `docker-compose config` and the YAML-to-JSON conversion. */
const COMPOSE_TIMEOUT_MS = 30_000;
/** Bound on a node's graceful stop (it hands over its leaderships) before SIGKILL. */
const STOP_TIMEOUT_MS = 15_000;
const OUTPUT_TAIL_CHARS = 8_000;

/** The part of a service of `docker-compose config` output that this test reads. */
interface ComposeService {
  readonly image?: string;
  readonly build?: { readonly context?: string; readonly dockerfile?: string };
  readonly entrypoint?: readonly string[] | string;
  readonly command?: readonly string[] | string;
  readonly environment?: Readonly<Record<string, string | number | null>>;
  readonly volumes?: readonly (string | { type?: string; source?: string; target?: string })[];
}

interface ComposeConfig {
  readonly services: Readonly<Record<string, ComposeService>>;
  readonly volumes?: Readonly<Record<string, unknown>>;
}

/** A child process and the tail of what it printed, for failure messages. */
interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
}

const dockerCompose = findDockerCompose();
if (dockerCompose === undefined) {
  console.log(
    "compose-equivalence: docker-compose is not installed: skipping `docker-compose config` " +
      "(apt-get install docker-compose)",
  );
}

/** `docker-compose` when it runs, else undefined. */
function findDockerCompose(): string | undefined {
  const probe = spawnSync("docker-compose", ["version"], {
    encoding: "utf8",
    timeout: COMPOSE_TIMEOUT_MS,
  });
  return probe.error === undefined && probe.status === 0 ? "docker-compose" : undefined;
}

function run(command: string, args: readonly string[], input?: string): SpawnSyncReturns<string> {
  return spawnSync(command, args, {
    cwd: REPO_ROOT,
    encoding: "utf8",
    timeout: COMPOSE_TIMEOUT_MS,
    ...(input === undefined ? {} : { input }),
  });
}

/**
 * The file as `docker-compose config` resolves it (anchors merged, lists normalised), as JSON:
 * Compose v2 prints JSON itself (`--format json`); Debian's Compose v1 prints YAML only, which
 * the PyYAML it runs on converts (no YAML parser in this repository's dependencies).
 */
function composeConfig(binary: string): ComposeConfig {
  // Compose v1 answers an unknown option with its usage (and exit status 0), not JSON.
  const asJson = run(binary, ["-f", COMPOSE_FILE, "config", "--format", "json"]);
  if (asJson.status === 0 && asJson.stdout.trimStart().startsWith("{")) {
    return JSON.parse(asJson.stdout) as ComposeConfig;
  }
  const asYaml = run(binary, ["-f", COMPOSE_FILE, "config"]);
  expect(asYaml.status, asYaml.stderr).toBe(0);
  const converted = run(
    "python3",
    ["-c", "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"],
    asYaml.stdout,
  );
  expect(converted.status, `python3 with PyYAML: ${converted.stderr}`).toBe(0);
  return JSON.parse(converted.stdout) as ComposeConfig;
}

/** A list-form command or entry point (a string form would need shell word splitting). */
function argvOf(value: readonly string[] | string | undefined, what: string): string[] {
  if (value === undefined) return [];
  if (typeof value === "string") throw new Error(`${what}: write it as a list, not a string`);
  return [...value];
}

/** `--name=value` and `--name value` flags of a nats-server command line. */
function natsFlags(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const [name = "", inline] = arg.replace(/^--?/, "").split(/=(.*)/s, 2);
    flags.set(name, inline ?? argv[++i] ?? "");
  }
  return flags;
}

/** The Dockerfile's exec-form `ENTRYPOINT` and `CMD` (JSON arrays). */
function dockerfileExec(): { entrypoint: string[]; cmd: string[] } {
  const text = readFileSync(DOCKERFILE, "utf8");
  const instruction = (name: string): string[] => {
    const line = text.split("\n").find((l) => l.startsWith(`${name} `));
    if (line === undefined) return [];
    return JSON.parse(line.slice(name.length + 1)) as string[];
  };
  return { entrypoint: instruction("ENTRYPOINT"), cmd: instruction("CMD") };
}

/** The argv a container of `service` runs (Docker's rules: a service entrypoint drops CMD). */
function serviceArgv(name: string, service: ComposeService): string[] {
  const image = dockerfileExec();
  const argv =
    service.entrypoint !== undefined
      ? [...argvOf(service.entrypoint, name), ...argvOf(service.command, name)]
      : [
          ...image.entrypoint,
          ...(service.command === undefined ? image.cmd : argvOf(service.command, name)),
        ];
  expect(argv[0], `${name} runs node`).toBe("node");
  // The image's WORKDIR holds the repository, so its relative paths are the repository's.
  for (const arg of argv.slice(1)) {
    if (arg.endsWith(".ts")) expect(existsSync(join(REPO_ROOT, arg)), arg).toBe(true);
  }
  return [process.execPath, ...argv.slice(1)];
}

/** The service's environment as strings. */
function environmentOf(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([key, value]) => [key, String(value ?? "")]),
  );
}

/** The mount point of each named volume of `service`. */
function namedVolumeTargets(service: ComposeService): string[] {
  return (service.volumes ?? []).flatMap((volume) => {
    if (typeof volume === "string") {
      const [source = "", target = ""] = volume.split(":");
      return /^[./~]/.test(source) ? [] : [target];
    }
    return volume.type === "volume" && volume.target !== undefined ? [volume.target] : [];
  });
}

function start(name: string, argv: readonly string[], env: Record<string, string>): Child {
  const [command = "", ...args] = argv;
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    // Exactly the service's environment, plus what a container has anyway.
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: tmpdir(), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout.on("data", append);
  child.stderr.on("data", append);
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.once("error", () => resolve(null));
  });
  // If this test process dies, its children must not outlive it.
  const reap = (): void => {
    child.kill("SIGKILL");
  };
  process.once("exit", reap);
  child.once("exit", () => process.removeListener("exit", reap));
  return { name, process: child, exited, output: () => output };
}

async function stop(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill("SIGTERM");
  const timer = setTimeout(() => child.process.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await child.exited;
  clearTimeout(timer);
}

/** The file's services by role, checked to have the shape this test mirrors. */
function servicesByRole(config: ComposeConfig): {
  nats: [string, ComposeService][];
  nodes: [string, ComposeService][];
  workload: ComposeService;
} {
  const services = Object.entries(config.services);
  const nats = services.filter(([, s]) => s.image?.startsWith("nats:") === true);
  const nodes = services.filter(
    ([, s]) => s.build?.dockerfile === "docker/Dockerfile" && s.entrypoint === undefined,
  );
  const workload = config.services["workload"];
  expect(nats.map(([name]) => name)).toEqual(["nats1", "nats2", "nats3"]);
  expect(nodes.map(([name]) => name)).toEqual(["n1", "n2", "n3"]);
  if (workload === undefined) throw new Error("docker-compose.yml has no workload service");
  return { nats, nodes, workload };
}

/**
 * The NATS services' cluster settings: one cluster name, every server routing to every other,
 * one client port.
 */
function natsSettings(nats: readonly [string, ComposeService][]): {
  clusterName: string;
  clientPort: string;
} {
  const flags = nats.map(([name, s]) => [name, natsFlags(argvOf(s.command, name))] as const);
  const clusterNames = new Set(flags.map(([, f]) => f.get("cluster_name") ?? ""));
  const clientPorts = new Set(flags.map(([, f]) => f.get("port") ?? "4222"));
  expect([...clusterNames], "one cluster_name").toHaveLength(1);
  expect([...clientPorts], "one client port").toHaveLength(1);
  for (const [name, f] of flags) {
    const routed = (f.get("routes") ?? "").split(",").map((url) => new URL(url).hostname);
    const others = nats.map(([other]) => other).filter((other) => other !== name);
    expect(routed.sort(), `${name} routes`).toEqual(others.sort());
  }
  return { clusterName: [...clusterNames][0] ?? "", clientPort: [...clientPorts][0] ?? "" };
}

/** Fails on a FLOTILLA_* variable that `flotilla node` does not read (renamed or misspelt). */
function expectKnownVariables(services: readonly [string, ComposeService][]): void {
  const nodeConfigSource = readFileSync(NODE_CONFIG_SOURCE, "utf8");
  for (const [name, service] of services) {
    for (const key of Object.keys(environmentOf(service))) {
      if (!key.startsWith("FLOTILLA_")) continue;
      expect(
        nodeConfigSource.includes(`"${key}"`),
        `${name}: ${key} is read by node-config.ts`,
      ).toBe(true);
    }
  }
}

/** The workload's exit code, unless a node exits first or the bound passes. */
async function workloadExit(workload: Child, nodes: readonly Child[]): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    workload.exited.then((code) => ({ code })),
    ...nodes.map((node) => node.exited.then(() => ({ nodeExited: node.name }))),
    new Promise<{ timedOut: true }>((resolve) => {
      timer = setTimeout(() => resolve({ timedOut: true }), WORKLOAD_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  if ("nodeExited" in outcome) {
    throw new Error(`${outcome.nodeExited} exited\n${report([workload, ...nodes])}`);
  }
  if ("timedOut" in outcome) {
    throw new Error(`the workload did not finish\n${report([workload, ...nodes])}`);
  }
  return outcome.code;
}

function report(children: readonly Child[]): string {
  return children.map((child) => `--- ${child.name}\n${child.output()}`).join("\n");
}

describe("docker-compose.yml", () => {
  const children: Child[] = [];
  const directories: string[] = [];
  let nats: NatsCluster | undefined;

  afterAll(async () => {
    await Promise.all(children.map(stop));
    await nats?.dispose();
    await Promise.all(directories.map((dir) => rm(dir, { recursive: true, force: true })));
  }, STOP_TIMEOUT_MS + 30_000);

  it.skipIf(dockerCompose === undefined)("is valid for docker-compose config", () => {
    const result = run(dockerCompose ?? "", ["-f", COMPOSE_FILE, "config"]);
    expect(result.status, result.stderr).toBe(0);
  });

  it(
    "runs as local processes: nodes from its environment, a workload that loses nothing",
    async () => {
      if (dockerCompose === undefined) {
        throw new Error(
          "docker-compose is needed to read docker-compose.yml (apt-get install docker-compose)",
        );
      }
      const services = servicesByRole(composeConfig(dockerCompose));
      expectKnownVariables([...services.nodes, ["workload", services.workload]]);
      const { clusterName, clientPort } = natsSettings(services.nats);
      nats = await NatsCluster.start({ size: services.nats.length, clusterName });
      const cluster = nats;
      const loopback = new Map(services.nats.map(([name], i) => [name, cluster.server(i).url]));
      // Service hostnames become the loopback servers; nothing else in the value changes.
      const rewriteNats = (servers: string | undefined): string =>
        (servers ?? "")
          .split(",")
          .map((server) => {
            const url = new URL(server.trim());
            expect(url.port || "4222", `${server}: the servers' client port`).toBe(clientPort);
            const local = loopback.get(url.hostname);
            if (local === undefined) throw new Error(`${server} names no NATS service`);
            return local;
          })
          .join(",");

      for (const [name, service] of services.nodes) {
        const env = environmentOf(service);
        env["FLOTILLA_NATS"] = rewriteNats(env["FLOTILLA_NATS"]);
        expect(namedVolumeTargets(service), `${name}: data dir on a named volume`).toContain(
          env["FLOTILLA_DATA_DIR"],
        );
        const dataDir = await mkdtemp(join(tmpdir(), `flotilla-compose-${name}-`));
        directories.push(dataDir);
        env["FLOTILLA_DATA_DIR"] = dataDir;
        children.push(start(name, serviceArgv(name, service), env));
      }
      const nodes = [...children];

      const env = environmentOf(services.workload);
      env["FLOTILLA_NATS"] = rewriteNats(env["FLOTILLA_NATS"]);
      env["WORKLOAD_SECONDS"] = WORKLOAD_SECONDS;
      const workload = start("workload", serviceArgv("workload", services.workload), env);
      children.push(workload);

      const code = await workloadExit(workload, nodes);
      const output = report([workload, ...nodes]);
      const verdict = /^workload: acknowledged=(\d+) lost=(\d+) unverified=(\d+)/m.exec(
        workload.output(),
      );
      expect(verdict, output).not.toBeNull();
      console.log(`compose-equivalence: ${verdict![0]}`);
      const [, acknowledged, lost, unverified] = verdict!.map(Number);
      expect(lost, output).toBe(0);
      expect(unverified, output).toBe(0);
      expect(acknowledged, output).toBeGreaterThan(0);
      expect(code, output).toBe(0);
    },
    WORKLOAD_TIMEOUT_MS + 60_000,
  );
});
