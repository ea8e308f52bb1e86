/**
 * The docker-compose client workload: closed-loop writers put fresh keys into the `kv` groups of
 * FLOTILLA_SHARDS for WORKLOAD_SECONDS, then every acknowledged put is checked with a
 * linearizable read of its group. Its last line is the verdict,
 * `workload: acknowledged=N lost=L unverified=U unacknowledged=A retries=R groups=G`, and it exits
 * non-zero unless something was acknowledged and nothing was lost or left unverified. `lost`
 * counts acknowledged puts missing (or different) in a linearizable read of their group;
 * `unacknowledged` puts were given up after the writing window, so they prove nothing.
 *
 * Settings (environment): FLOTILLA_CLUSTER, FLOTILLA_NATS and FLOTILLA_SHARDS as the nodes read
 * them; WORKLOAD_SECONDS (30), WORKLOAD_WRITERS (16), WORKLOAD_PUTS_MAX (200000) and
 * WORKLOAD_READY_SECONDS (120, the bound on waiting for every group to answer).
 */
import { FlotillaClient, type RemoteGroup } from "@flotilla/client";

/** What the workload reads from its environment. */
interface WorkloadSettings {
  readonly cluster: string;
  readonly servers: readonly string[];
  readonly groupIds: readonly string[];
  readonly seconds: number;
  readonly writers: number;
  readonly putsMax: number;
  readonly readySeconds: number;
}

/** A put the cluster acknowledged. */
interface AcknowledgedPut {
  readonly groupId: string;
  readonly key: string;
  readonly value: string;
}

type KvCommand = { op: "put"; key: string; value: string };
type KvQuery = { op: "get"; key: string } | { op: "scan"; prefix: string; limit: number };
type KvGroup = RemoteGroup<KvCommand, unknown, KvQuery, unknown>;

/** Bound of one proposal or read attempt, retries inside the client included. */
const REQUEST_TIMEOUT_MS = 5_000;
/** After the writing window, how long a put already in flight may keep retrying. */
const DRAIN_MS = 30_000;
const RETRY_BACKOFF_MS = 100;
/** NATS reconnect attempts (every 500 ms), also bounding the first connection. */
const NATS_RECONNECT_ATTEMPTS = 240;

class UsageError extends Error {
  override readonly name = "UsageError";
}

function settingsFrom(env: NodeJS.ProcessEnv): WorkloadSettings {
  const groupIds = (env["FLOTILLA_SHARDS"] ?? "")
    .split(";")
    .filter((spec) => spec.trim() !== "")
    .flatMap((spec) => {
      // NAME:N:KIND:MEMBERS, as `flotilla node` reads it; only `kv` groups take puts.
      const [name = "", count = "", kind = ""] = spec.trim().split(":");
      if (kind !== "kv") return [];
      return Array.from({ length: integer(count, "FLOTILLA_SHARDS count") }, (_, i) => {
        return `${name}-${i}`;
      });
    });
  if (groupIds.length === 0) throw new UsageError("FLOTILLA_SHARDS names no kv groups");
  return {
    cluster: env["FLOTILLA_CLUSTER"] || "flotilla",
    servers: (env["FLOTILLA_NATS"] || "127.0.0.1:4222").split(",").map((url) => url.trim()),
    groupIds,
    seconds: integer(env["WORKLOAD_SECONDS"] ?? "30", "WORKLOAD_SECONDS"),
    writers: integer(env["WORKLOAD_WRITERS"] ?? "16", "WORKLOAD_WRITERS"),
    putsMax: integer(env["WORKLOAD_PUTS_MAX"] ?? "200000", "WORKLOAD_PUTS_MAX"),
    readySeconds: integer(env["WORKLOAD_READY_SECONDS"] ?? "120", "WORKLOAD_READY_SECONDS"),
  };
}

function integer(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be an integer >= 1`);
  return n;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until every group answers a linearizable read (it has a leader that commits). */
async function waitUntilReady(groups: readonly KvGroup[], deadline: number): Promise<void> {
  await Promise.all(
    groups.map(async (group) => {
      for (;;) {
        try {
          await group.read({ op: "get", key: "workload-ready" }, { timeoutMs: REQUEST_TIMEOUT_MS });
          return;
        } catch (error) {
          if (Date.now() >= deadline) {
            throw new Error(`group ${group.groupId} did not answer in time`, { cause: error });
          }
          await delay(RETRY_BACKOFF_MS);
        }
      }
    }),
  );
}

/** Closed-loop writers; a put is retried (the same key and value: harmless) until acknowledged. */
async function write(
  groups: readonly KvGroup[],
  settings: WorkloadSettings,
  runId: string,
  stop: AbortSignal,
): Promise<{ acknowledged: AcknowledgedPut[]; unacknowledged: number; retries: number }> {
  const acknowledged: AcknowledgedPut[] = [];
  let sequence = 0;
  let unacknowledged = 0;
  let retries = 0;
  const writingEnds = Date.now() + settings.seconds * 1000;
  const drainEnds = writingEnds + DRAIN_MS;
  const writer = async (): Promise<void> => {
    while (Date.now() < writingEnds && sequence < settings.putsMax && !stop.aborted) {
      const seq = sequence++;
      const group = groups[seq % groups.length];
      if (group === undefined) throw new Error("no groups");
      const put: KvCommand = { op: "put", key: `${runId}/k${seq}`, value: `v${seq}` };
      for (;;) {
        try {
          await group.propose(put, { timeoutMs: REQUEST_TIMEOUT_MS });
          acknowledged.push({ groupId: group.groupId, key: put.key, value: put.value });
          break;
        } catch {
          // No leader yet, a deposed leader, a timeout: it may or may not have applied.
          if (Date.now() >= drainEnds || stop.aborted) {
            unacknowledged++;
            break;
          }
          retries++;
          await delay(RETRY_BACKOFF_MS);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: settings.writers }, writer));
  return { acknowledged, unacknowledged, retries };
}

/**
 * Reads this run's keys back from each group (one linearizable scan per group) and counts the
 * acknowledged puts that are missing or different (`lost`), and those of groups that could not
 * be read within the bound (`unverified`).
 */
async function verify(
  groups: readonly KvGroup[],
  acknowledged: readonly AcknowledgedPut[],
  runId: string,
  deadline: number,
): Promise<{ lost: number; unverified: number }> {
  let lost = 0;
  let unverified = 0;
  for (const group of groups) {
    const expected = acknowledged.filter((put) => put.groupId === group.groupId);
    let pairs: [string, unknown][] | undefined;
    while (pairs === undefined) {
      try {
        const query: KvQuery = { op: "scan", prefix: `${runId}/`, limit: expected.length + 1 };
        pairs = (await group.read(query, { timeoutMs: REQUEST_TIMEOUT_MS })) as [string, unknown][];
      } catch {
        if (Date.now() >= deadline) break;
        await delay(RETRY_BACKOFF_MS);
      }
    }
    if (pairs === undefined) {
      unverified += expected.length;
      continue;
    }
    const values = new Map(pairs);
    for (const put of expected) if (values.get(put.key) !== put.value) lost++;
  }
  return { lost, unverified };
}

async function main(): Promise<number> {
  let settings: WorkloadSettings;
  try {
    settings = settingsFrom(process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`workload: ${error.message}`);
    return 2;
  }
  const stop = new AbortController();
  process.once("SIGTERM", () => stop.abort());
  process.once("SIGINT", () => stop.abort());
  console.log(
    `workload: cluster ${settings.cluster}, ${settings.groupIds.length} groups, ` +
      `NATS ${settings.servers.join(",")}, ${settings.seconds} s`,
  );
  const client = await FlotillaClient.connect({
    cluster: settings.cluster,
    nats: {
      servers: [...settings.servers],
      name: "flotilla-workload",
      waitOnFirstConnect: true,
      maxReconnectAttempts: NATS_RECONNECT_ATTEMPTS,
      reconnectTimeWait: 500,
    },
    timeoutMs: REQUEST_TIMEOUT_MS,
  });
  try {
    const groups = settings.groupIds.map((id) => client.group<KvCommand, unknown, KvQuery>(id));
    await waitUntilReady(groups, Date.now() + settings.readySeconds * 1000);
    console.log("workload: every group answers; writing");
    // A fresh key space per run, so a run on volumes kept from an earlier one checks only itself.
    const runId = `w${Date.now().toString(36)}`;
    const written = await write(groups, settings, runId, stop.signal);
    const checked = await verify(groups, written.acknowledged, runId, Date.now() + DRAIN_MS);
    console.log(
      `workload: acknowledged=${written.acknowledged.length} lost=${checked.lost} ` +
        `unverified=${checked.unverified} unacknowledged=${written.unacknowledged} ` +
        `retries=${written.retries} groups=${groups.length}`,
    );
    const passed =
      written.acknowledged.length > 0 && checked.lost === 0 && checked.unverified === 0;
    return passed ? 0 : 1;
  } finally {
    await client.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error("workload failed:", error);
    process.exit(1);
  },
);
