/**
 * The node process's configuration, from a JSON file (`--config`), the environment
 * (`FLOTILLA_*`) and flags, later ones winning. Every field is checked; a mistake is a
 * `ConfigError` naming the field, printed with the usage.
 */
import { readFileSync } from "node:fs";

/** One group to host: its id, its state machine kind, its voters when it is created. */
export interface GroupSpec {
  readonly groupId: string;
  readonly kind: string;
  readonly members: readonly string[];
}

/** NATS connection settings, passed through to `@nats-io/transport-node`. */
export interface NatsSettings {
  readonly servers: readonly string[];
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  /** Path of a `.creds` file. */
  readonly credsFile?: string;
  /** An nkey seed. */
  readonly nkeySeed?: string;
  /** TLS: a CA file (and client certificate and key files, for mutual TLS). */
  readonly tlsCaFile?: string;
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
}

/** Everything `flotilla node` needs. */
export interface NodeProcessConfig {
  readonly nodeId: string;
  readonly cluster: string;
  readonly nats: NatsSettings;
  readonly dataDir: string;
  readonly durability: "strict" | "relaxed";
  readonly groups: readonly GroupSpec[];
  /** A module adding state machine kinds. */
  readonly kindsModule?: string;
  readonly tickIntervalMs: number;
  readonly electionTicks: number;
  /** Leader balancing period (0: off). */
  readonly leaderBalanceIntervalMs: number;
  /** Applied entries between automatic snapshots. */
  readonly snapshotEntriesThreshold: number;
  /** Applied command bytes that trigger a snapshot. */
  readonly snapshotBytesThreshold: number;
  /** Snapshot data per chunk of a chunked install (the NATS transport's `snapshotChunkBytes`). */
  readonly snapshotChunkBytes: number;
  /** A snapshot larger than this travels in chunks rather than inline in a batch. */
  readonly snapshotInlineBytesMax: number;
  /** Entries kept below a snapshot when compacting. */
  readonly compactionTrailingEntries: number;
  readonly logLevel: string;
  /**
   * Installs the chaos fault hook on outgoing Raft traffic (chaos-transport.ts) and accepts the
   * control op `faults`. For chaos testing only; off by default.
   */
  readonly chaos: boolean;
}

/** A configuration mistake. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export const NODE_USAGE = `usage: flotilla node [options]
  --config FILE            JSON file with any of the options below (camelCase keys)
  --node-id ID             this node's id                         (FLOTILLA_NODE_ID)
  --cluster NAME           cluster name, the subject prefix       (FLOTILLA_CLUSTER, default "flotilla")
  --nats URLS              comma-separated NATS servers           (FLOTILLA_NATS, default 127.0.0.1:4222)
  --data-dir DIR           LMDB directory                         (FLOTILLA_DATA_DIR)
  --durability MODE        strict (default) or relaxed            (FLOTILLA_DURABILITY)
  --group ID:KIND:M1,M2,…  host a group (repeatable)              (FLOTILLA_GROUPS, ";"-separated)
  --shards NAME:N:KIND:M1,M2,…  host NAME-0 … NAME-(N-1)          (FLOTILLA_SHARDS, ";"-separated)
  --kinds MODULE           module exporting more state machine kinds
  --user U --pass P | --token T | --creds FILE | --nkey-seed SEED   NATS credentials
  --tls-ca FILE [--tls-cert FILE --tls-key FILE]                    NATS TLS
  --tick-ms N (100)  --election-ticks N (10)  --rebalance-ms N (10000; 0 off)  --log-level L (info)
  --snapshot-entries N (10000)  --snapshot-bytes N (67108864)  --compaction-trailing N (1000)
  --snapshot-chunk-bytes N (262144)  --snapshot-inline-bytes N (65536)
  --chaos                  accept the control op "faults" on Raft traffic (FLOTILLA_CHAOS=1; testing only)
  Each numeric option also reads FLOTILLA_<NAME> (e.g. FLOTILLA_SNAPSHOT_BYTES).`;

interface Partial {
  [key: string]: unknown;
}

/** Builds the configuration from `argv` (after `node`), `env` and the optional config file. */
export function parseNodeConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): NodeProcessConfig {
  const flags = parseFlags(argv);
  const file: Partial = typeof flags["config"] === "string" ? readConfigFile(flags["config"]) : {};
  const groups: GroupSpec[] = [
    ...specsFrom(file["groups"]),
    ...splitList(env["FLOTILLA_GROUPS"], ";").map(parseGroup),
    ...splitList(env["FLOTILLA_SHARDS"], ";").flatMap(parseShards),
    ...((flags["group"] as string[] | undefined) ?? []).map(parseGroup),
    ...((flags["shards"] as string[] | undefined) ?? []).flatMap(parseShards),
  ];
  const pick = (flag: string, envName: string, key: string): unknown =>
    flags[flag] ?? env[envName] ?? file[key];
  const nodeId = pick("node-id", "FLOTILLA_NODE_ID", "nodeId");
  const dataDir = pick("data-dir", "FLOTILLA_DATA_DIR", "dataDir");
  if (typeof nodeId !== "string" || nodeId === "") throw new ConfigError("--node-id is required");
  if (typeof dataDir !== "string" || dataDir === "")
    throw new ConfigError("--data-dir is required");
  const durability = text(
    pick("durability", "FLOTILLA_DURABILITY", "durability"),
    "strict",
    "durability",
  );
  if (durability !== "strict" && durability !== "relaxed") {
    throw new ConfigError(`--durability must be strict or relaxed, not ${durability}`);
  }
  const servers = pick("nats", "FLOTILLA_NATS", "nats") ?? "127.0.0.1:4222";
  const optional = (flag: string, envName: string, key: string): string | undefined => {
    const value = pick(flag, envName, key);
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  const nats: NatsSettings = {
    servers: Array.isArray(servers)
      ? servers.map((server) => text(server, "", "nats"))
      : splitList(text(servers, "", "nats"), ","),
    ...defined("user", optional("user", "FLOTILLA_NATS_USER", "natsUser")),
    ...defined("pass", optional("pass", "FLOTILLA_NATS_PASS", "natsPass")),
    ...defined("token", optional("token", "FLOTILLA_NATS_TOKEN", "natsToken")),
    ...defined("credsFile", optional("creds", "FLOTILLA_NATS_CREDS", "natsCreds")),
    ...defined("nkeySeed", optional("nkey-seed", "FLOTILLA_NATS_NKEY_SEED", "natsNkeySeed")),
    ...defined("tlsCaFile", optional("tls-ca", "FLOTILLA_NATS_TLS_CA", "natsTlsCa")),
    ...defined("tlsCertFile", optional("tls-cert", "FLOTILLA_NATS_TLS_CERT", "natsTlsCert")),
    ...defined("tlsKeyFile", optional("tls-key", "FLOTILLA_NATS_TLS_KEY", "natsTlsKey")),
  };
  const kindsModule = optional("kinds", "FLOTILLA_KINDS", "kindsModule");
  return {
    nodeId,
    cluster: text(pick("cluster", "FLOTILLA_CLUSTER", "cluster"), "flotilla", "cluster"),
    nats,
    dataDir,
    durability,
    groups,
    ...(kindsModule === undefined ? {} : { kindsModule }),
    tickIntervalMs: integer(
      pick("tick-ms", "FLOTILLA_TICK_MS", "tickIntervalMs") ?? 100,
      "--tick-ms",
    ),
    electionTicks: integer(
      pick("election-ticks", "FLOTILLA_ELECTION_TICKS", "electionTicks") ?? 10,
      "--election-ticks",
    ),
    leaderBalanceIntervalMs: integer(
      pick("rebalance-ms", "FLOTILLA_REBALANCE_MS", "leaderBalanceIntervalMs") ?? 10_000,
      "--rebalance-ms",
      0,
    ),
    logLevel: text(pick("log-level", "FLOTILLA_LOG_LEVEL", "logLevel"), "info", "log-level"),
    snapshotEntriesThreshold: integer(
      pick("snapshot-entries", "FLOTILLA_SNAPSHOT_ENTRIES", "snapshotEntriesThreshold") ?? 10_000,
      "--snapshot-entries",
    ),
    snapshotBytesThreshold: integer(
      pick("snapshot-bytes", "FLOTILLA_SNAPSHOT_BYTES", "snapshotBytesThreshold") ??
        64 * 1024 * 1024,
      "--snapshot-bytes",
    ),
    snapshotChunkBytes: integer(
      pick("snapshot-chunk-bytes", "FLOTILLA_SNAPSHOT_CHUNK_BYTES", "snapshotChunkBytes") ??
        256 * 1024,
      "--snapshot-chunk-bytes",
    ),
    snapshotInlineBytesMax: integer(
      pick("snapshot-inline-bytes", "FLOTILLA_SNAPSHOT_INLINE_BYTES", "snapshotInlineBytesMax") ??
        64 * 1024,
      "--snapshot-inline-bytes",
      0,
    ),
    chaos: flag(flags["chaos"] ?? env["FLOTILLA_CHAOS"] ?? file["chaos"], "chaos"),
    compactionTrailingEntries: integer(
      pick("compaction-trailing", "FLOTILLA_COMPACTION_TRAILING", "compactionTrailingEntries") ??
        1000,
      "--compaction-trailing",
      0,
    ),
  };
}

/** `ID:KIND:M1,M2,…` */
export function parseGroup(text: string): GroupSpec {
  const [groupId, kind, members] = text.split(":");
  if (groupId === undefined || kind === undefined || members === undefined) {
    throw new ConfigError(`a group is ID:KIND:M1,M2,…, not ${text}`);
  }
  return { groupId, kind, members: splitList(members, ",") };
}

/** `NAME:N:KIND:M1,M2,…` → groups NAME-0 … NAME-(N-1). */
export function parseShards(text: string): GroupSpec[] {
  const [name, count, kind, members] = text.split(":");
  if (name === undefined || count === undefined || kind === undefined || members === undefined) {
    throw new ConfigError(`shards are NAME:N:KIND:M1,M2,…, not ${text}`);
  }
  const n = integer(count, "shard count", 1);
  return Array.from({ length: n }, (_, i) => ({
    groupId: `${name}-${i}`,
    kind,
    members: splitList(members, ","),
  }));
}

const REPEATABLE = new Set(["group", "shards"]);
/** Flags that take no value: present means on. */
const SWITCHES = new Set(["chaos"]);
const VALUE_FLAGS = new Set([
  "config",
  "node-id",
  "cluster",
  "nats",
  "data-dir",
  "durability",
  "group",
  "shards",
  "kinds",
  "user",
  "pass",
  "token",
  "creds",
  "nkey-seed",
  "tls-ca",
  "tls-cert",
  "tls-key",
  "tick-ms",
  "election-ticks",
  "rebalance-ms",
  "log-level",
  "snapshot-entries",
  "snapshot-bytes",
  "snapshot-chunk-bytes",
  "snapshot-inline-bytes",
  "compaction-trailing",
]);

function parseFlags(argv: readonly string[]): Partial {
  const flags: Partial = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (!arg.startsWith("--")) throw new ConfigError(`unexpected argument ${arg}`);
    const [name = "", inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (SWITCHES.has(name)) {
      flags[name] = inline ?? true;
      continue;
    }
    if (!VALUE_FLAGS.has(name)) throw new ConfigError(`unknown option --${name}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`--${name} needs a value`);
    if (REPEATABLE.has(name))
      flags[name] = [...((flags[name] as string[] | undefined) ?? []), value];
    else flags[name] = value;
  }
  return flags;
}

function readConfigFile(path: string): Partial {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${String(error)}`);
  }
  if (typeof parsed !== "object" || parsed === null)
    throw new ConfigError(`${path}: not an object`);
  return parsed as Partial;
}

function specsFrom(value: unknown): GroupSpec[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ConfigError("groups must be an array");
  return value.map((spec: unknown) => {
    if (typeof spec === "string") return parseGroup(spec);
    const { groupId, kind, members } = (spec ?? {}) as Record<string, unknown>;
    if (typeof groupId !== "string" || typeof kind !== "string" || !Array.isArray(members)) {
      throw new ConfigError("a group needs groupId, kind and members");
    }
    return { groupId, kind, members: members.map(String) };
  });
}

function splitList(text: string | undefined, separator: string): string[] {
  return (text ?? "")
    .split(separator)
    .map((part) => part.trim())
    .filter((part) => part !== "");
}

/** A string setting, or `fallback` when unset. @throws {ConfigError} for a non-string. */
function text(value: unknown, fallback: string, name: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string") {
    throw new ConfigError(`${name} must be a string, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A switch: true, false, or their spellings in the environment ("1"/"0", "true"/"false"). */
function flag(value: unknown, name: string): boolean {
  if (value === undefined || value === "" || value === false) return false;
  if (value === true) return true;
  if (value === "1" || value === "true") return true;
  if (value === "0" || value === "false") return false;
  throw new ConfigError(
    `--${name} must be on or off (1/0, true/false), not ${JSON.stringify(value)}`,
  );
}

function integer(value: unknown, name: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new ConfigError(`${name} must be an integer >= ${min}`);
  return n;
}

function defined<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
