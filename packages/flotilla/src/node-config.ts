/**
 * The node process's configuration, from a JSON file (`--config`), the environment
 * (`FLOTILLA_*`) and flags, later ones winning. Every field is checked against its bounds
 * ({@link NODE_CONFIG_BOUNDS}); a mistake is a `ConfigError` naming the field, printed with the
 * usage, so that no bad value reaches a timer, Raft or LMDB and fails there with a stack.
 */
import { readFileSync } from "node:fs";
import { ConfigError } from "./config-error.js";
import { directory, flag, id, integer, optionalPath, quote, text } from "./config-values.js";

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
  readonly logLevel: LogLevel;
  /**
   * Installs the chaos fault hook on outgoing Raft traffic (chaos-transport.ts) and accepts the
   * control op `faults`. For chaos testing only; off by default.
   */
  readonly chaos: boolean;
}

export { ConfigError } from "./config-error.js";

/** pino's level names plus `silent`; pino throws a plain `Error` for anything else. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Node clamps a timer delay above 2^31 - 1 ms to 1 ms (with only a warning), so a huge
 * interval would tick as fast as possible rather than almost never.
 */
const TIMER_DELAY_MS_MAX = 2 ** 31 - 1;

/**
 * The inclusive bounds of every numeric setting. Why each maximum: `tickIntervalMs` ×
 * `electionTicks` × 2 (the deposed-proposal grace and the shutdown hand-over wait) must stay a
 * valid timer delay, and 60 000 × 10 000 × 2 does; `electionTicks` must exceed the heartbeat
 * interval of 1 tick (raft-config.ts); 64 MiB is NATS's largest `max_payload`; a shard count
 * expands to that many groups in memory at start-up; the rest only need to be exact integers.
 */
export const NODE_CONFIG_BOUNDS = {
  tickIntervalMs: { min: 1, max: 60_000 },
  electionTicks: { min: 2, max: 10_000 },
  leaderBalanceIntervalMs: { min: 0, max: TIMER_DELAY_MS_MAX },
  snapshotEntriesThreshold: { min: 1, max: Number.MAX_SAFE_INTEGER },
  snapshotBytesThreshold: { min: 1, max: Number.MAX_SAFE_INTEGER },
  snapshotChunkBytes: { min: 1, max: 64 * 1024 * 1024 },
  snapshotInlineBytesMax: { min: 0, max: 64 * 1024 * 1024 },
  compactionTrailingEntries: { min: 0, max: Number.MAX_SAFE_INTEGER },
  shardCount: { min: 1, max: 10_000 },
} as const satisfies Record<string, { readonly min: number; readonly max: number }>;

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
  if (nodeId === undefined || nodeId === "") throw new ConfigError("--node-id is required");
  const dataDir = pick("data-dir", "FLOTILLA_DATA_DIR", "dataDir");
  if (dataDir === undefined || dataDir === "") throw new ConfigError("--data-dir is required");
  const durability = text(
    pick("durability", "FLOTILLA_DURABILITY", "durability"),
    "strict",
    "--durability",
  );
  if (durability !== "strict" && durability !== "relaxed") {
    throw new ConfigError(`--durability must be strict or relaxed, not ${quote(durability)}`);
  }
  const logLevel = text(pick("log-level", "FLOTILLA_LOG_LEVEL", "logLevel"), "info", "--log-level");
  if (!isLogLevel(logLevel)) {
    throw new ConfigError(
      `--log-level must be one of ${LOG_LEVELS.join(", ")}, not ${quote(logLevel)}`,
    );
  }
  const kindsModule = optionalPath(pick("kinds", "FLOTILLA_KINDS", "kindsModule"), "--kinds");
  return {
    nodeId: id(nodeId, "--node-id"),
    cluster: id(
      text(pick("cluster", "FLOTILLA_CLUSTER", "cluster"), "flotilla", "--cluster"),
      "--cluster",
    ),
    nats: natsSettings(pick),
    dataDir: directory(dataDir, "--data-dir"),
    durability,
    groups,
    ...(kindsModule === undefined ? {} : { kindsModule }),
    ...numbers(pick),
    logLevel,
    chaos: flag(flags["chaos"] ?? env["FLOTILLA_CHAOS"] ?? file["chaos"], "chaos"),
  };
}

type Pick = (flag: string, envName: string, key: string) => unknown;

/** The numeric settings, each within {@link NODE_CONFIG_BOUNDS}. */
function numbers(pick: Pick) {
  const b = NODE_CONFIG_BOUNDS;
  return {
    tickIntervalMs: integer(
      pick("tick-ms", "FLOTILLA_TICK_MS", "tickIntervalMs") ?? 100,
      "--tick-ms",
      b.tickIntervalMs,
    ),
    electionTicks: integer(
      pick("election-ticks", "FLOTILLA_ELECTION_TICKS", "electionTicks") ?? 10,
      "--election-ticks",
      b.electionTicks,
    ),
    leaderBalanceIntervalMs: integer(
      pick("rebalance-ms", "FLOTILLA_REBALANCE_MS", "leaderBalanceIntervalMs") ?? 10_000,
      "--rebalance-ms",
      b.leaderBalanceIntervalMs,
    ),
    snapshotEntriesThreshold: integer(
      pick("snapshot-entries", "FLOTILLA_SNAPSHOT_ENTRIES", "snapshotEntriesThreshold") ?? 10_000,
      "--snapshot-entries",
      b.snapshotEntriesThreshold,
    ),
    snapshotBytesThreshold: integer(
      pick("snapshot-bytes", "FLOTILLA_SNAPSHOT_BYTES", "snapshotBytesThreshold") ??
        64 * 1024 * 1024,
      "--snapshot-bytes",
      b.snapshotBytesThreshold,
    ),
    snapshotChunkBytes: integer(
      pick("snapshot-chunk-bytes", "FLOTILLA_SNAPSHOT_CHUNK_BYTES", "snapshotChunkBytes") ??
        256 * 1024,
      "--snapshot-chunk-bytes",
      b.snapshotChunkBytes,
    ),
    snapshotInlineBytesMax: integer(
      pick("snapshot-inline-bytes", "FLOTILLA_SNAPSHOT_INLINE_BYTES", "snapshotInlineBytesMax") ??
        64 * 1024,
      "--snapshot-inline-bytes",
      b.snapshotInlineBytesMax,
    ),
    compactionTrailingEntries: integer(
      pick("compaction-trailing", "FLOTILLA_COMPACTION_TRAILING", "compactionTrailingEntries") ??
        1000,
      "--compaction-trailing",
      b.compactionTrailingEntries,
    ),
  };
}

/** The NATS servers (at least one) and credentials; a credential set but empty counts as unset. */
function natsSettings(pick: Pick): NatsSettings {
  const given = pick("nats", "FLOTILLA_NATS", "nats") ?? "127.0.0.1:4222";
  const servers = Array.isArray(given)
    ? given.map((server) => text(server, "", "--nats").trim())
    : splitList(text(given, "", "--nats"), ",");
  if (servers.length === 0 || servers.includes("")) {
    throw new ConfigError(`--nats needs one or more server URLs, not ${quote(given)}`);
  }
  const optional = (flag: string, envName: string, key: string): string | undefined => {
    const value = text(pick(flag, envName, key), "", `--${flag}`);
    return value === "" ? undefined : value;
  };
  const path = (flag: string, envName: string, key: string): string | undefined =>
    optionalPath(pick(flag, envName, key), `--${flag}`);
  return {
    servers,
    ...defined("user", optional("user", "FLOTILLA_NATS_USER", "natsUser")),
    ...defined("pass", optional("pass", "FLOTILLA_NATS_PASS", "natsPass")),
    ...defined("token", optional("token", "FLOTILLA_NATS_TOKEN", "natsToken")),
    ...defined("credsFile", path("creds", "FLOTILLA_NATS_CREDS", "natsCreds")),
    ...defined("nkeySeed", optional("nkey-seed", "FLOTILLA_NATS_NKEY_SEED", "natsNkeySeed")),
    ...defined("tlsCaFile", path("tls-ca", "FLOTILLA_NATS_TLS_CA", "natsTlsCa")),
    ...defined("tlsCertFile", path("tls-cert", "FLOTILLA_NATS_TLS_CERT", "natsTlsCert")),
    ...defined("tlsKeyFile", path("tls-key", "FLOTILLA_NATS_TLS_KEY", "natsTlsKey")),
  };
}

/** `ID:KIND:M1,M2,…` @throws {ConfigError} for a missing or extra part or a malformed id. */
export function parseGroup(text: string): GroupSpec {
  const parts = text.split(":");
  const [groupId, kind, members] = parts;
  if (groupId === undefined || kind === undefined || members === undefined || parts.length > 3) {
    throw new ConfigError(`a group is ID:KIND:M1,M2,…, not ${quote(text)}`);
  }
  return groupSpec(groupId.trim(), kind.trim(), splitList(members, ","));
}

/**
 * `NAME:N:KIND:M1,M2,…` → groups NAME-0 … NAME-(N-1).
 *
 * @throws {ConfigError} for a missing or extra part, a count outside
 *   {@link NODE_CONFIG_BOUNDS}`.shardCount` or a malformed id.
 */
export function parseShards(text: string): GroupSpec[] {
  const parts = text.split(":");
  const [name, count, kind, members] = parts;
  if (
    name === undefined ||
    count === undefined ||
    kind === undefined ||
    members === undefined ||
    parts.length > 4
  ) {
    throw new ConfigError(`shards are NAME:N:KIND:M1,M2,…, not ${quote(text)}`);
  }
  const n = integer(count, "shard count", NODE_CONFIG_BOUNDS.shardCount);
  const ids = splitList(members, ",");
  return Array.from({ length: n }, (_, i) => groupSpec(`${name.trim()}-${i}`, kind.trim(), ids));
}

/** A group spec whose group id and member ids are well-formed ids and whose kind is named. */
function groupSpec(groupId: string, kind: string, members: readonly string[]): GroupSpec {
  if (kind === "") throw new ConfigError(`group ${quote(groupId)}: the kind is missing`);
  return {
    groupId: id(groupId, "a group id"),
    kind,
    members: members.map((member) => id(member, `group ${groupId}: a member id`)),
  };
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
    if (!arg.startsWith("--")) throw new ConfigError(`unexpected argument ${quote(arg)}`);
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

/** The keys a config file may hold; any other is a typo that would silently do nothing. */
const FILE_KEYS = new Set([
  "nodeId",
  "cluster",
  "nats",
  "dataDir",
  "durability",
  "groups",
  "kindsModule",
  "natsUser",
  "natsPass",
  "natsToken",
  "natsCreds",
  "natsNkeySeed",
  "natsTlsCa",
  "natsTlsCert",
  "natsTlsKey",
  "tickIntervalMs",
  "electionTicks",
  "leaderBalanceIntervalMs",
  "logLevel",
  "snapshotEntriesThreshold",
  "snapshotBytesThreshold",
  "snapshotChunkBytes",
  "snapshotInlineBytesMax",
  "compactionTrailingEntries",
  "chaos",
]);

function readConfigFile(path: string): Partial {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`cannot read config file ${path}: ${reason}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`${path}: not a JSON object`);
  }
  const unknown = Object.keys(parsed).filter((key) => !FILE_KEYS.has(key));
  if (unknown.length > 0) {
    throw new ConfigError(`${path}: unknown key ${unknown.map(quote).join(", ")}`);
  }
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
    return groupSpec(
      groupId,
      kind,
      members.map((member) => text(member, "", `group ${groupId}: a member id`)),
    );
  });
}

function splitList(text: string | undefined, separator: string): string[] {
  return (text ?? "")
    .split(separator)
    .map((part) => part.trim())
    .filter((part) => part !== "");
}

function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

function defined<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
