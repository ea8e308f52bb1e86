/**
 * `flotilla node` configuration (node-config.ts): a JSON file, `FLOTILLA_*` environment
 * variables and flags, later ones winning; `--shards` expands to one group per shard; every
 * mistake is a ConfigError that names the field.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import {
  ConfigError,
  LOG_LEVELS,
  parseGroup,
  parseNodeConfig,
  parseShards,
} from "../src/node-config.js";

const required = ["--node-id", "n1", "--data-dir", "/tmp/n1"];
/** The same two settings, as a config file holds them. */
const file = { nodeId: "n1", dataDir: "/tmp/n1" };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "flotilla-config-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function configFile(contents: unknown): string {
  const path = join(dir, "node.json");
  writeFileSync(path, typeof contents === "string" ? contents : JSON.stringify(contents));
  return path;
}

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("parseNodeConfig: defaults", () => {
  it("needs only a node id and a data directory", () => {
    expect(parseNodeConfig(required, {})).toEqual({
      nodeId: "n1",
      cluster: "flotilla",
      nats: { servers: ["127.0.0.1:4222"] },
      dataDir: "/tmp/n1",
      durability: "strict",
      groups: [],
      tickIntervalMs: 100,
      electionTicks: 10,
      leaderBalanceIntervalMs: 10_000,
      snapshotEntriesThreshold: 10_000,
      snapshotBytesThreshold: 64 * 1024 * 1024,
      snapshotChunkBytes: 256 * 1024,
      snapshotInlineBytesMax: 64 * 1024,
      compactionTrailingEntries: 1000,
      logLevel: "info",
      chaos: false,
    });
  });

  it("names --node-id when it is missing", () => {
    expect(configError(() => parseNodeConfig(["--data-dir", "/d"], {})).message).toContain(
      "--node-id",
    );
  });

  it("names --data-dir when it is missing", () => {
    expect(configError(() => parseNodeConfig(["--node-id", "n1"], {})).message).toContain(
      "--data-dir",
    );
  });
});

describe("parseNodeConfig: flags", () => {
  it("reads every value flag, in both --name value and --name=value forms", () => {
    const config = parseNodeConfig(
      [
        ...required,
        "--cluster=prod",
        "--nats",
        "a:4222, b:4222",
        "--durability",
        "relaxed",
        "--tick-ms=50",
        "--election-ticks",
        "20",
        "--rebalance-ms",
        "0",
        "--snapshot-entries",
        "500",
        "--snapshot-bytes=4096",
        "--snapshot-chunk-bytes",
        "1024",
        "--snapshot-inline-bytes",
        "0",
        "--chaos",
        "--compaction-trailing",
        "0",
        "--log-level",
        "debug",
        "--kinds",
        "./kinds.js",
        "--user",
        "u",
        "--pass",
        "p",
        "--tls-ca",
        "ca.pem",
      ],
      {},
    );
    expect(config).toMatchObject({
      cluster: "prod",
      nats: { servers: ["a:4222", "b:4222"], user: "u", pass: "p", tlsCaFile: "ca.pem" },
      durability: "relaxed",
      tickIntervalMs: 50,
      electionTicks: 20,
      leaderBalanceIntervalMs: 0,
      snapshotEntriesThreshold: 500,
      snapshotBytesThreshold: 4096,
      snapshotChunkBytes: 1024,
      snapshotInlineBytesMax: 0,
      chaos: true,
      compactionTrailingEntries: 0,
      logLevel: "debug",
      kindsModule: "./kinds.js",
    });
  });

  it("keeps a value containing = after --name=", () => {
    expect(parseNodeConfig([...required, "--token=a=b"], {}).nats.token).toBe("a=b");
  });

  it("repeats --group", () => {
    const config = parseNodeConfig(
      [...required, "--group", "orders:kv:n1,n2,n3", "--group", "audit:log:n1"],
      {},
    );
    expect(config.groups).toEqual([
      { groupId: "orders", kind: "kv", members: ["n1", "n2", "n3"] },
      { groupId: "audit", kind: "log", members: ["n1"] },
    ]);
  });

  it("expands --shards NAME:N:KIND:MEMBERS into NAME-0 … NAME-(N-1)", () => {
    const config = parseNodeConfig([...required, "--shards", "kv:3:kv:n1,n2"], {});
    expect(config.groups).toEqual([
      { groupId: "kv-0", kind: "kv", members: ["n1", "n2"] },
      { groupId: "kv-1", kind: "kv", members: ["n1", "n2"] },
      { groupId: "kv-2", kind: "kv", members: ["n1", "n2"] },
    ]);
  });

  it("refuses an unknown flag, naming it", () => {
    expect(
      configError(() => parseNodeConfig([...required, "--colour", "x"], {})).message,
    ).toContain("--colour");
  });

  it("refuses a flag without a value, naming it", () => {
    expect(configError(() => parseNodeConfig([...required, "--cluster"], {})).message).toContain(
      "--cluster",
    );
  });

  it("refuses a positional argument", () => {
    expect(configError(() => parseNodeConfig([...required, "extra"], {})).message).toContain(
      "extra",
    );
  });

  it("refuses a durability other than strict or relaxed, naming the field", () => {
    expect(
      configError(() => parseNodeConfig([...required, "--durability", "lazy"], {})).message,
    ).toContain("--durability");
  });

  it("refuses a non-integer or too small number, naming the field", () => {
    for (const [flag, value] of [
      ["--tick-ms", "0"],
      ["--tick-ms", "1.5"],
      ["--election-ticks", "ten"],
      ["--rebalance-ms", "-1"],
      ["--snapshot-entries", "0"],
      ["--snapshot-bytes", "0"],
      ["--snapshot-chunk-bytes", "0"],
      ["--snapshot-inline-bytes", "-1"],
      ["--compaction-trailing", "-5"],
    ] as const) {
      expect(configError(() => parseNodeConfig([...required, flag, value], {})).message).toContain(
        flag,
      );
    }
  });
});

describe("parseNodeConfig: environment", () => {
  it("reads FLOTILLA_* variables", () => {
    const config = parseNodeConfig([], {
      FLOTILLA_NODE_ID: "n7",
      FLOTILLA_DATA_DIR: "/data/n7",
      FLOTILLA_CLUSTER: "staging",
      FLOTILLA_NATS: "x:1,y:2",
      FLOTILLA_DURABILITY: "relaxed",
      FLOTILLA_TICK_MS: "25",
      FLOTILLA_NATS_TOKEN: "secret",
      FLOTILLA_GROUPS: "a:kv:n7; b:log:n7",
      FLOTILLA_SHARDS: "s:2:kv:n7",
      FLOTILLA_SNAPSHOT_ENTRIES: "50",
      FLOTILLA_SNAPSHOT_BYTES: "2048",
      FLOTILLA_SNAPSHOT_CHUNK_BYTES: "512",
      FLOTILLA_SNAPSHOT_INLINE_BYTES: "256",
      FLOTILLA_CHAOS: "1",
    });
    expect(config).toMatchObject({
      nodeId: "n7",
      dataDir: "/data/n7",
      cluster: "staging",
      nats: { servers: ["x:1", "y:2"], token: "secret" },
      durability: "relaxed",
      tickIntervalMs: 25,
      snapshotEntriesThreshold: 50,
      snapshotBytesThreshold: 2048,
      snapshotChunkBytes: 512,
      snapshotInlineBytesMax: 256,
      chaos: true,
    });
    expect(config.groups.map((g) => g.groupId)).toEqual(["a", "b", "s-0", "s-1"]);
  });

  it("leaves chaos off unless switched on, and refuses a value that is not a switch", () => {
    expect(parseNodeConfig(required, { FLOTILLA_CHAOS: "0" }).chaos).toBe(false);
    expect(parseNodeConfig([...required, "--chaos=false"], { FLOTILLA_CHAOS: "1" }).chaos).toBe(
      false,
    );
    expect(
      configError(() => parseNodeConfig(required, { FLOTILLA_CHAOS: "yes" })).message,
    ).toContain("--chaos");
  });

  it("lets a flag win over the environment", () => {
    const config = parseNodeConfig([...required, "--cluster", "from-flag"], {
      FLOTILLA_CLUSTER: "from-env",
      FLOTILLA_NODE_ID: "n9",
    });
    expect(config.cluster).toBe("from-flag");
    expect(config.nodeId).toBe("n1");
  });

  it("treats an empty credential variable as unset", () => {
    expect(parseNodeConfig(required, { FLOTILLA_NATS_USER: "" }).nats).toEqual({
      servers: ["127.0.0.1:4222"],
    });
  });
});

describe("parseNodeConfig: config file", () => {
  it("reads camelCase keys from --config", () => {
    const path = configFile({
      nodeId: "n2",
      dataDir: "/data/n2",
      cluster: "file",
      nats: ["a:1", "b:2"],
      electionTicks: 15,
      natsCreds: "/n2.creds",
      groups: [{ groupId: "g", kind: "kv", members: ["n1", "n2"] }, "h:log:n2"],
    });
    const config = parseNodeConfig(["--config", path], {});
    expect(config).toMatchObject({
      nodeId: "n2",
      dataDir: "/data/n2",
      cluster: "file",
      nats: { servers: ["a:1", "b:2"], credsFile: "/n2.creds" },
      electionTicks: 15,
    });
    expect(config.groups).toEqual([
      { groupId: "g", kind: "kv", members: ["n1", "n2"] },
      { groupId: "h", kind: "log", members: ["n2"] },
    ]);
  });

  it("lets the environment win over the file, and a flag over both", () => {
    const path = configFile({ nodeId: "n2", dataDir: "/d", cluster: "file", logLevel: "warn" });
    const config = parseNodeConfig(["--config", path, "--log-level", "trace"], {
      FLOTILLA_CLUSTER: "env",
      FLOTILLA_LOG_LEVEL: "error",
    });
    expect(config.cluster).toBe("env");
    expect(config.logLevel).toBe("trace");
  });

  it("adds the groups of file, environment and flags, in that order", () => {
    const path = configFile({ nodeId: "n1", dataDir: "/d", groups: ["f:kv:n1"] });
    const config = parseNodeConfig(["--config", path, "--group", "x:kv:n1"], {
      FLOTILLA_GROUPS: "e:kv:n1",
    });
    expect(config.groups.map((g) => g.groupId)).toEqual(["f", "e", "x"]);
  });

  it("names the file it cannot read", () => {
    const missing = join(dir, "missing.json");
    expect(configError(() => parseNodeConfig(["--config", missing], {})).message).toContain(
      missing,
    );
  });

  it("refuses a file that is not JSON, naming it", () => {
    const path = configFile("{ not json");
    expect(configError(() => parseNodeConfig(["--config", path], {})).message).toContain(path);
  });

  it("refuses a file that is not a JSON object", () => {
    const path = configFile("42");
    expect(configError(() => parseNodeConfig(["--config", path], {})).message).toContain(path);
  });

  it("refuses groups that are not an array, naming the field", () => {
    const path = configFile({ nodeId: "n1", dataDir: "/d", groups: { g: "kv" } });
    expect(configError(() => parseNodeConfig(["--config", path], {})).message).toContain("groups");
  });

  it("refuses a group object without groupId, kind and members", () => {
    const path = configFile({ nodeId: "n1", dataDir: "/d", groups: [{ groupId: "g" }] });
    expect(configError(() => parseNodeConfig(["--config", path], {})).message).toMatch(
      /groupId, kind and members/,
    );
  });

  it("names the field of a string setting given a non-string", () => {
    const path = configFile({ nodeId: "n1", dataDir: "/d", cluster: 7 });
    expect(configError(() => parseNodeConfig(["--config", path], {})).message).toContain("cluster");
  });
});

describe("parseGroup and parseShards", () => {
  it("parses ID:KIND:M1,M2", () => {
    expect(parseGroup("g:kv:n1, n2")).toEqual({ groupId: "g", kind: "kv", members: ["n1", "n2"] });
  });

  it("refuses a group spec missing a part, quoting it", () => {
    expect(configError(() => parseGroup("g:kv")).message).toContain("g:kv");
  });

  it("refuses shards missing a part, quoting the spec", () => {
    expect(configError(() => parseShards("kv:3:kv")).message).toContain("kv:3:kv");
  });

  it("refuses a shard count below 1, naming it", () => {
    expect(configError(() => parseShards("kv:0:kv:n1")).message).toContain("shard count");
  });
});

// Each of these was accepted (or crashed with another error) before, found by
// node-config.property.test.ts; each would have failed later, at a timer, in Raft or in LMDB.
describe("parseNodeConfig: bounds found by fuzzing", () => {
  const refused = (argv: readonly string[], env: NodeJS.ProcessEnv = {}): string =>
    configError(() => parseNodeConfig(argv, env)).message;

  it("refuses a tick interval past Node's timer range, which would tick every 1 ms", () => {
    for (const value of ["2147483648", "1e308", "9007199254740993", "60001"]) {
      expect(refused([...required, "--tick-ms", value])).toContain("--tick-ms");
    }
    expect(parseNodeConfig([...required, "--tick-ms", "60000"], {}).tickIntervalMs).toBe(60_000);
  });

  it("refuses a rebalance period past Node's timer range", () => {
    expect(refused([...required, "--rebalance-ms", "2147483648"])).toContain("--rebalance-ms");
    expect(refused([...required, "--rebalance-ms", "1e10"])).toContain("--rebalance-ms");
  });

  it("refuses one election tick, which Raft rejects with a RangeError (not above heartbeatTicks)", () => {
    expect(refused([...required, "--election-ticks", "1"])).toContain("--election-ticks");
    expect(refused([...required, "--election-ticks", "10001"])).toContain("--election-ticks");
  });

  it("refuses a number that is not plain decimal digits (0x10, 1e3, empty)", () => {
    expect(refused([...required, "--tick-ms", "0x10"])).toContain("--tick-ms");
    expect(refused([...required, "--snapshot-entries", "1e3"])).toContain("--snapshot-entries");
    expect(refused(required, { FLOTILLA_REBALANCE_MS: "" })).toContain("--rebalance-ms");
    expect(parseNodeConfig([...required, "--tick-ms", " 50 "], {}).tickIntervalMs).toBe(50);
  });

  it("refuses a config file number given as true or [50], which Number() took as 1 and 50", () => {
    expect(refused(["--config", configFile({ ...file, tickIntervalMs: true })])).toContain(
      "--tick-ms",
    );
    expect(refused(["--config", configFile({ ...file, electionTicks: [50] })])).toContain(
      "--election-ticks",
    );
  });

  it("refuses snapshot chunks above NATS's largest max_payload (64 MiB)", () => {
    expect(
      refused([...required, "--snapshot-chunk-bytes", String(64 * 1024 * 1024 + 1)]),
    ).toContain("--snapshot-chunk-bytes");
  });

  it("refuses a shard count that would not fit in memory (1e308 threw a RangeError)", () => {
    expect(refused([...required, "--shards", "s:1e308:kv:n1"])).toContain("shard count");
    expect(refused([...required, "--shards", "s:100000000:kv:n1"])).toContain("shard count");
    expect(parseShards("s:10000:kv:n1")).toHaveLength(10_000);
  });

  it("refuses a log level pino does not know, which pino threw as a plain Error", () => {
    expect(refused([...required, "--log-level", "verbose"])).toContain("--log-level");
    expect(refused([...required, "--log-level", "INFO"])).toContain("--log-level");
    for (const level of LOG_LEVELS) {
      const { logLevel } = parseNodeConfig([...required, "--log-level", level], {});
      expect(() => pino({ level: logLevel }, { write: () => undefined })).not.toThrow();
    }
  });

  it("refuses node, cluster, group and member ids that are not one NATS subject token", () => {
    expect(refused(["--node-id", "a.b", "--data-dir", "/d"])).toContain("--node-id");
    expect(refused([...required, "--cluster", "*"])).toContain("--cluster");
    expect(refused([...required, "--group", "a.b:kv:n1"])).toContain("group id");
    expect(refused([...required, "--group", "g:kv:n1,>"])).toContain("member id");
    expect(refused([...required, "--shards", `${"s".repeat(64)}:2:kv:n1`])).toContain("group id");
    expect(refused(["--config", configFile({ dataDir: "/d", nodeId: 5 })])).toContain("--node-id");
  });

  it("refuses a group spec with an extra part or no kind, rather than dropping it", () => {
    expect(refused([...required, "--group", "g:kv:n1:x"])).toContain("g:kv:n1:x");
    expect(refused([...required, "--shards", "s:2:kv:n1:x"])).toContain("s:2:kv:n1:x");
    expect(refused([...required, "--group", "g::n1"])).toContain("kind");
  });

  it('refuses config file members that are not strings, which String() made "null"', () => {
    const path = configFile({ ...file, groups: [{ groupId: "g", kind: "kv", members: [null] }] });
    expect(refused(["--config", path])).toContain("member id");
  });

  it("refuses an empty NATS server list, which connected to the client's default", () => {
    expect(refused([...required, "--nats", ","])).toContain("--nats");
    expect(refused(["--config", configFile({ ...file, nats: [""] })])).toContain("--nats");
  });

  it("refuses a data directory that is a regular file, naming it", () => {
    const path = configFile("{}");
    expect(refused(["--node-id", "n1", "--data-dir", path])).toContain(
      `${path} is not a directory`,
    );
  });

  it("refuses a path with a NUL byte, which every fs call throws on", () => {
    expect(refused(["--config", configFile({ nodeId: "n1", dataDir: "a\u0000b" })])).toContain(
      "--data-dir",
    );
  });

  it("refuses a config file that is a JSON array, or has a key it does not know", () => {
    expect(refused(["--config", configFile([1])])).toContain("not a JSON object");
    expect(refused(["--config", configFile({ ...file, tickMs: 5 })])).toContain('"tickMs"');
  });

  it("refuses a credential of the wrong type in the file, which was silently ignored", () => {
    expect(refused(["--config", configFile({ ...file, natsUser: 5 })])).toContain("--user");
  });

  it("cuts a huge bad value short in the message", () => {
    expect(refused([...required, "--log-level", "x".repeat(10_000)]).length).toBeLessThan(300);
  });
});
