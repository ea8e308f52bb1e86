/**
 * Fuzzing `parseNodeConfig` (fast-check): for arbitrary flags (known ones with mistyped, huge,
 * negative or missing values, unknown ones, repeats), arbitrary `FLOTILLA_*` environments and
 * arbitrary `--config` file bytes, it either returns a configuration every field of which is
 * usable as is (checked here against the consumers' own limits: Node's timer range, pino's
 * levels, the id grammar, safe integers) or throws a `ConfigError`, never anything else.
 * Runs per property: `FLOTILLA_FUZZ_RUNS` (default 300); the seed: `FLOTILLA_FUZZ_SEED`.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConfigError,
  NODE_CONFIG_BOUNDS,
  parseNodeConfig,
  type NodeProcessConfig,
} from "../src/node-config.js";

const RUNS = Number(process.env["FLOTILLA_FUZZ_RUNS"] ?? 300);
const SEED = process.env["FLOTILLA_FUZZ_SEED"];
const PARAMETERS = { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: Number(SEED) }) };

/** Node clamps a larger timer delay to 1 ms. */
const TIMER_DELAY_MS_MAX = 2 ** 31 - 1;
/** The id grammar, written out again so that the check does not share the code it checks. */
const ID = /^[A-Za-z0-9_-]{1,64}$/;

const NUMERIC = {
  "tick-ms": ["FLOTILLA_TICK_MS", "tickIntervalMs"],
  "election-ticks": ["FLOTILLA_ELECTION_TICKS", "electionTicks"],
  "rebalance-ms": ["FLOTILLA_REBALANCE_MS", "leaderBalanceIntervalMs"],
  "snapshot-entries": ["FLOTILLA_SNAPSHOT_ENTRIES", "snapshotEntriesThreshold"],
  "snapshot-bytes": ["FLOTILLA_SNAPSHOT_BYTES", "snapshotBytesThreshold"],
  "snapshot-chunk-bytes": ["FLOTILLA_SNAPSHOT_CHUNK_BYTES", "snapshotChunkBytes"],
  "snapshot-inline-bytes": ["FLOTILLA_SNAPSHOT_INLINE_BYTES", "snapshotInlineBytesMax"],
  "compaction-trailing": ["FLOTILLA_COMPACTION_TRAILING", "compactionTrailingEntries"],
} as const;
const TEXT = {
  "node-id": ["FLOTILLA_NODE_ID", "nodeId"],
  cluster: ["FLOTILLA_CLUSTER", "cluster"],
  nats: ["FLOTILLA_NATS", "nats"],
  "data-dir": ["FLOTILLA_DATA_DIR", "dataDir"],
  durability: ["FLOTILLA_DURABILITY", "durability"],
  kinds: ["FLOTILLA_KINDS", "kindsModule"],
  user: ["FLOTILLA_NATS_USER", "natsUser"],
  pass: ["FLOTILLA_NATS_PASS", "natsPass"],
  token: ["FLOTILLA_NATS_TOKEN", "natsToken"],
  creds: ["FLOTILLA_NATS_CREDS", "natsCreds"],
  "nkey-seed": ["FLOTILLA_NATS_NKEY_SEED", "natsNkeySeed"],
  "tls-ca": ["FLOTILLA_NATS_TLS_CA", "natsTlsCa"],
  "tls-cert": ["FLOTILLA_NATS_TLS_CERT", "natsTlsCert"],
  "tls-key": ["FLOTILLA_NATS_TLS_KEY", "natsTlsKey"],
  "log-level": ["FLOTILLA_LOG_LEVEL", "logLevel"],
} as const;
const FLAGS = [...Object.keys(NUMERIC), ...Object.keys(TEXT), "group", "shards", "config"];
const ENV_NAMES = [
  ...Object.values(NUMERIC).map(([env]) => env),
  ...Object.values(TEXT).map(([env]) => env),
  "FLOTILLA_GROUPS",
  "FLOTILLA_SHARDS",
  "FLOTILLA_CHAOS",
];
const FILE_KEYS = [
  ...Object.values(NUMERIC).map(([, key]) => key),
  ...Object.values(TEXT).map(([, key]) => key),
  "groups",
  "chaos",
];

let dir: string;
let regularFile: string;
let configPath: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "flotilla-config-fuzz-"));
  mkdirSync(join(dir, "data"));
  regularFile = join(dir, "a-file");
  writeFileSync(regularFile, "not a directory");
  configPath = join(dir, "node.json");
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Numbers as text, weighted towards the edges: sign, zero, fractions, overflow, junk. */
const numberText = fc.oneof(
  fc.constantFrom(
    "-1",
    "0",
    "1",
    "2",
    "1.5",
    "1e3",
    "1e308",
    "-1e308",
    "9007199254740993",
    "2147483647",
    "2147483648",
    "60000",
    "60001",
    "10001",
    "67108865",
    "100000000",
    "",
    " ",
    "NaN",
    "Infinity",
    "0x10",
    "ten",
    " 7 ",
  ),
  fc.integer({ min: -10, max: 100_000 }).map(String),
  fc.double().map(String),
  fc.string({ maxLength: 12 }),
);
const idText = fc.oneof(
  fc.constantFrom("n1", "n2", "g", "a.b", "*", ">", "", " ", "x".repeat(65), "ünï", "a b"),
  fc.string({ maxLength: 70 }),
);
const groupText = fc.oneof(
  fc
    .tuple(idText, fc.constantFrom("kv", "log", "", "nope"), fc.array(idText, { maxLength: 3 }))
    .map(([g, kind, members]) => `${g}:${kind}:${members.join(",")}`),
  fc.constantFrom("g:kv", "g:kv:n1:extra", "::", "g:kv:n1,,n2", ""),
  fc.string({ maxLength: 20 }),
);
const shardsText = fc.oneof(
  fc
    .tuple(idText, numberText, fc.constantFrom("kv", ""), fc.array(idText, { maxLength: 3 }))
    .map(([name, n, kind, members]) => `${name}:${n}:${kind}:${members.join(",")}`),
  fc.constantFrom("s:3:kv:n1", "s:1e308:kv:n1", "s:100000000:kv:n1", "s:3:kv", "s:3:kv:n1:x"),
);
const pathText = fc.oneof(
  fc.constant("<data>"),
  fc.constant("<file>"),
  fc.constant("<file>/below"),
  fc.constant("<missing>"),
  fc.constantFrom("", "a\u0000b", "relative/dir"),
  fc.string({ maxLength: 20 }),
);
const anyText = fc.oneof(
  numberText,
  idText,
  pathText,
  fc.constantFrom("info", "debug", "verbose", "INFO", "silent", "strict", "relaxed", "lazy"),
  fc.constantFrom("1", "0", "true", "false", "yes"),
);

/** One argv token group: a known flag in either form, with or without a value, or junk. */
const flagTokens: fc.Arbitrary<string[]> = fc.oneof(
  fc.tuple(fc.constantFrom(...FLAGS), anyText).map(([name, value]) => [`--${name}`, value]),
  fc.tuple(fc.constantFrom(...FLAGS), anyText).map(([name, value]) => [`--${name}=${value}`]),
  fc
    .tuple(fc.constantFrom(...Object.keys(NUMERIC)), numberText)
    .map(([name, v]) => [`--${name}`, v]),
  groupText.map((value) => ["--group", value]),
  shardsText.map((value) => ["--shards", value]),
  fc.constantFrom<string[]>(["--config", "<config>"], ["--chaos"], ["--chaos=yes"], ["--chaos=0"]),
  fc.constantFrom(...FLAGS).map((name) => [`--${name}`]),
  fc.constantFrom<string[]>(
    ["--colour", "red"],
    ["--"],
    ["--="],
    ["positional"],
    ["-n"],
    ["--__proto__"],
  ),
);

/** Any JSON, with keys sometimes from the real set, so mistyped values reach their checks. */
const jsonFile = fc
  .oneof(
    fc.dictionary(
      fc.constantFrom(...FILE_KEYS),
      fc.oneof(fc.jsonValue(), anyText, numberText.map(Number)),
    ),
    fc.record({
      nodeId: fc.oneof(fc.constant("n1"), fc.jsonValue()),
      dataDir: fc.constant("<data>"),
      groups: fc.oneof(
        fc.array(
          fc.oneof(
            groupText,
            fc.jsonValue(),
            fc.record({
              groupId: idText,
              kind: fc.constant("kv"),
              members: fc.array(fc.jsonValue(), { maxLength: 3 }),
            }),
          ),
          { maxLength: 3 },
        ),
        fc.jsonValue(),
      ),
    }),
    fc.jsonValue(),
    fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue(), { maxKeys: 3 }),
  )
  .map((value) => JSON.stringify(value));
const configBytes = fc.oneof(
  jsonFile,
  fc.string({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
  fc.constantFrom("", "{", "[]", "null", "42", '"text"', '{"nodeId": "n1",}', "\ufeff{}"),
);

const input = fc.record({
  required: fc.boolean(),
  tokens: fc.array(flagTokens, { maxLength: 8 }),
  env: fc.dictionary(
    fc.oneof(fc.constantFrom(...ENV_NAMES), fc.string({ maxLength: 8 })),
    anyText,
    {
      maxKeys: 6,
    },
  ),
  file: configBytes,
});

/** Replaces the placeholders with this run's real paths. */
function resolve(text: string): string {
  return text
    .replaceAll("<data>", join(dir, "data"))
    .replaceAll("<file>", regularFile)
    .replaceAll("<missing>", join(dir, "missing", "deeper"))
    .replaceAll("<config>", configPath);
}

function parse(
  argv: readonly string[],
  env: Record<string, string>,
  file: string,
): NodeProcessConfig | ConfigError {
  writeFileSync(configPath, resolve(file), "latin1");
  try {
    return parseNodeConfig(argv.map(resolve), env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
}

/** Every field usable by its consumer: the checks state each consumer's own limit. */
function expectUsable(config: NodeProcessConfig): void {
  expect(config.nodeId).toMatch(ID);
  expect(config.cluster).toMatch(ID);
  expect(["strict", "relaxed"]).toContain(config.durability);
  expect(config.dataDir).not.toBe("");
  expect(config.dataDir).not.toContain("\u0000");
  expect(statSync(config.dataDir, { throwIfNoEntry: false })?.isDirectory() ?? true).toBe(true);
  expect(() => pino({ level: config.logLevel }, { write: () => undefined })).not.toThrow();
  expect(config.nats.servers.length).toBeGreaterThan(0);
  for (const server of config.nats.servers) expect(server.trim()).not.toBe("");
  for (const spec of config.groups) {
    expect(spec.groupId).toMatch(ID);
    expect(spec.kind).not.toBe("");
    for (const member of spec.members) expect(member).toMatch(ID);
  }
  for (const [field, { min, max }] of Object.entries(NODE_CONFIG_BOUNDS)) {
    if (field === "shardCount") continue;
    const value = config[field as keyof typeof NODE_CONFIG_BOUNDS & keyof NodeProcessConfig];
    expect(Number.isSafeInteger(value), field).toBe(true);
    expect(value, field).toBeGreaterThanOrEqual(min);
    expect(value, field).toBeLessThanOrEqual(max);
  }
  expect(config.tickIntervalMs).toBeGreaterThanOrEqual(1);
  expect(config.electionTicks).toBeGreaterThan(1); // above heartbeatTicks (1)
  expect(config.leaderBalanceIntervalMs).toBeLessThanOrEqual(TIMER_DELAY_MS_MAX);
  // The longest timer the node derives: the deposed-proposal grace and shutdown wait.
  expect(2 * config.electionTicks * config.tickIntervalMs).toBeLessThanOrEqual(TIMER_DELAY_MS_MAX);
  for (const field of [
    "snapshotEntriesThreshold",
    "snapshotBytesThreshold",
    "snapshotChunkBytes",
  ] as const) {
    expect(config[field]).toBeGreaterThanOrEqual(1);
  }
  expect(typeof config.chaos).toBe("boolean");
}

describe("parseNodeConfig, fuzzed", () => {
  it(`returns a usable configuration or throws ConfigError, nothing else (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(input, ({ required, tokens, env, file }) => {
        const argv = [
          ...(required ? ["--node-id", "n1", "--data-dir", "<data>"] : []),
          ...tokens.flat(),
        ];
        const result = parse(argv, env, file);
        if (!(result instanceof ConfigError)) expectUsable(result);
      }),
      PARAMETERS,
    );
  });

  it(`takes every in-bounds number as given, from flag, variable or file (${RUNS} runs)`, () => {
    const setting = fc
      .constantFrom(...(Object.keys(NUMERIC) as (keyof typeof NUMERIC)[]))
      .chain((name) => {
        const [, key] = NUMERIC[name];
        const { min, max } = NODE_CONFIG_BOUNDS[key];
        return fc.tuple(fc.constant(name), fc.integer({ min, max: Math.min(max, 2 ** 31) }));
      });
    fc.assert(
      fc.property(setting, fc.constantFrom("flag", "env", "file"), ([name, value], source) => {
        const [envName, key] = NUMERIC[name];
        const base = ["--node-id", "n1", "--data-dir", "<data>"];
        const argv =
          source === "flag" ? [...base, `--${name}=${value}`] : [...base, "--config", "<config>"];
        const env: Record<string, string> = source === "env" ? { [envName]: String(value) } : {};
        const file = JSON.stringify(source === "file" ? { [key]: value } : {});
        const config = parse(argv, env, file);
        if (config instanceof ConfigError) throw config;
        expect(config[key]).toBe(value);
      }),
      PARAMETERS,
    );
  });
});
