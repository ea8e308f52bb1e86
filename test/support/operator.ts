/**
 * What an operator does in integration tests: a control request on `ctl.<node>` (as the CLI
 * sends it) and the `flotilla` CLI itself, run in its own process from the repository.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { NatsConnection } from "@nats-io/transport-node";
import { CLIENT_PROTOCOL_VERSION, ClientSubjects, decodeReply, encodeWire } from "@flotilla/client";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

/** Sends `request` to node `nodeId`'s control subject; its result, or throws with the reply. */
export async function controlRequest(
  nc: NatsConnection,
  cluster: string,
  nodeId: string,
  request: Record<string, unknown>,
): Promise<unknown> {
  const message = await nc.request(
    new ClientSubjects(cluster).control(nodeId),
    encodeWire({ v: CLIENT_PROTOCOL_VERSION, ...request }),
    { timeout: 15_000 },
  );
  const reply = decodeReply(message.data);
  if (reply["ok"] !== true) throw new Error(`${String(request["op"])}: ${JSON.stringify(reply)}`);
  return reply["result"];
}

/** Runs `flotilla ARGS…` against `cluster` over `natsUrl`; rejects on a non-zero exit. */
export async function runFlotillaCli(
  args: readonly string[],
  cluster: string,
  natsUrl: string,
): Promise<{ stdout: string; stderr: string }> {
  const cli = ["--import", "tsx", "--conditions=@flotilla/source", "packages/flotilla/src/cli.ts"];
  return promisify(execFile)(
    process.execPath,
    [...cli, ...args, "--cluster", cluster, "--nats", natsUrl],
    { cwd: REPO, timeout: 120_000 },
  );
}
