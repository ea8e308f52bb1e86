/**
 * Finds what each system needs before the run: `nats-server` (Flotilla and JetStream), `etcd`
 * (installed with `apt-get install -y etcd-server` when missing and the run is root), and the
 * peers' npm clients (`etcd3`, `@nats-io/jetstream`, devDependencies of the repository). A
 * system that cannot be had is skipped with one clear line, never silently.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { findNatsServerBinary } from "@flotilla/testkit";
import type { SystemName } from "./systems/system-cluster.js";

/** What was found: binaries, versions, and why a system is skipped. */
export interface Peers {
  readonly natsServer: string | null;
  readonly etcd: string | null;
  /** Why a system cannot run, by system (absent: it can). */
  readonly unavailable: Partial<Record<SystemName, string>>;
  readonly versions: Readonly<Record<string, string>>;
  /** One line per skipped system, for the report's notes. */
  readonly skipped: readonly string[];
}

const ETCD_PATHS = ["/usr/bin/etcd", "/usr/local/bin/etcd"];
const APT_TIMEOUT_MS = 240_000;

/** Looks everything up (and installs etcd if it may); logs each skip. */
export async function findPeers(log: (line: string) => void): Promise<Peers> {
  const unavailable: Partial<Record<SystemName, string>> = {};
  const versions: Record<string, string> = {};
  let natsServer: string | null = null;
  try {
    natsServer = findNatsServerBinary();
    versions["nats-server"] = versionOf(natsServer, ["--version"]);
  } catch (error) {
    const why = `nats-server not found (apt-get install nats-server): ${String(error)}`;
    unavailable.flotilla = why;
    unavailable.jetstream = why;
  }
  const etcd = findEtcd(log);
  if (etcd === null) {
    unavailable.etcd =
      "etcd not found and could not be installed (run `apt-get install -y etcd-server` as root)";
  } else {
    versions["etcd"] = versionOf(etcd, ["--version"]);
  }
  for (const [system, module] of [
    ["etcd", "etcd3"],
    ["jetstream", "@nats-io/jetstream"],
  ] as const) {
    const version = await moduleVersion(module);
    if (version === null) {
      unavailable[system] ??=
        `the npm client ${module} is missing (run \`npm ci\` at the repository root)`;
    } else {
      versions[module] = version;
    }
  }
  const skipped = Object.entries(unavailable).map(([system, why]) => `SKIPPED ${system}: ${why}`);
  for (const line of skipped) log(line);
  return { natsServer, etcd, unavailable, versions, skipped };
}

function findEtcd(log: (line: string) => void): string | null {
  const found = (): string | null => {
    for (const path of ETCD_PATHS) if (existsSync(path)) return path;
    const which = spawnSync("which", ["etcd"], { encoding: "utf8" });
    return which.status === 0 && which.stdout.trim() !== "" ? which.stdout.trim() : null;
  };
  const before = found();
  if (before !== null) return before;
  if (process.getuid?.() !== 0) return null;
  log("etcd missing: apt-get install -y etcd-server");
  const install = spawnSync("apt-get", ["install", "-y", "etcd-server"], {
    encoding: "utf8",
    timeout: APT_TIMEOUT_MS,
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (install.status !== 0) {
    log(`apt-get install etcd-server failed: ${(install.stderr || install.stdout).slice(-400)}`);
  }
  return found();
}

/** The installed version of `module` as the repository resolves it, or null when missing. */
async function moduleVersion(module: string): Promise<string | null> {
  try {
    await import(module);
  } catch {
    return null;
  }
  const require = createRequire(import.meta.url);
  for (const dir of require.resolve.paths(module) ?? []) {
    const manifest = join(dir, module, "package.json");
    if (!existsSync(manifest)) continue;
    const parsed = JSON.parse(readFileSync(manifest, "utf8")) as { version?: unknown };
    return typeof parsed.version === "string" ? parsed.version : "?";
  }
  return "?";
}

/** The first version number `binary args` prints ("2.9.10"). */
function versionOf(binary: string, args: readonly string[]): string {
  try {
    const output = execFileSync(binary, args, {
      encoding: "utf8",
      timeout: 5_000,
      stdio: ["ignore", "pipe", "pipe"],
      cwd: dirname(binary),
    });
    return /\d+\.\d+\.\d+/.exec(output)?.[0] ?? "?";
  } catch {
    return "?";
  }
}
