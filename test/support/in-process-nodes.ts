/**
 * Nodes for tests over a real nats-server that run `startNodeProcess` (what `flotilla node`
 * runs) inside the test process, with fast timing and silent logs, and a bounded wait.
 */
import { join } from "node:path";
import { pino } from "pino";
import { parseNodeConfig, startNodeProcess, type RunningNode } from "flotilla";

/** Where and how the nodes of one test run. */
export interface InProcessNodeOptions {
  readonly cluster: string;
  readonly natsUrl: string;
  /** Each node's data directory is `<root>/<nodeId>`. */
  readonly root: string;
  /** Applied entries between automatic snapshots (compaction keeps nothing below them). */
  readonly snapshotEntries: number;
}

/** Starts node `nodeId`, hosting the groups of `shards` (`NAME:N:KIND:M1,…`) if given. */
export function startInProcessNode(
  options: InProcessNodeOptions,
  nodeId: string,
  shards: string | undefined,
): Promise<RunningNode> {
  const flags = [
    "--node-id",
    nodeId,
    "--cluster",
    options.cluster,
    "--nats",
    options.natsUrl,
    "--data-dir",
    join(options.root, nodeId),
    "--tick-ms",
    "50",
    "--rebalance-ms",
    "0",
    "--snapshot-entries",
    String(options.snapshotEntries),
    "--compaction-trailing",
    "0",
  ];
  if (shards !== undefined) flags.push("--shards", shards);
  return startNodeProcess(parseNodeConfig(flags, {}), pino({ level: "silent" }));
}

/** Polls `predicate` until it holds; the bound on real time is a safety net, not an assertion. */
export async function until(
  predicate: () => boolean,
  what: string,
  boundMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`not reached within ${boundMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
