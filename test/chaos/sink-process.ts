/**
 * The chaos run's sink: a separate process standing for the outside resource a leader's work
 * writes to. It listens on 127.0.0.1 (HTTP, never NATS, so NATS faults do not touch it), records
 * every act a leader companion sends (`acts.jsonl`: the act plus `recvNs` and `accepted`), and
 * accepts an act only when its term is at least the highest it has seen for the group: the
 * fencing token at work. Usage: `sink-process.ts OUT_FILE`; it prints `sink-port <port>` once
 * listening and stops on SIGTERM, after flushing.
 */
import { createWriteStream } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { CompanionAct } from "./chaos-kinds.js";

/** An act as the sink recorded it. */
export interface SinkRecord extends CompanionAct {
  /** When the sink received it, CLOCK_MONOTONIC ns. */
  readonly recvNs: number;
  /** False when a higher term had been seen for the group: a stale attempt, refused. */
  readonly accepted: boolean;
}

/** Bound on one act's body: acts are small. */
const BODY_BYTES_MAX = 4096;

function main(outFile: string): void {
  const out = createWriteStream(outFile, { flags: "a" });
  const highest = new Map<string, number>();
  const server = createServer((request, response) => {
    void handle(request, response);
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const act = parseAct(await readBody(request));
      const recvNs = Number(process.hrtime.bigint());
      const accepted = act.term >= (highest.get(act.group) ?? 0);
      if (accepted) highest.set(act.group, act.term);
      const record: SinkRecord = { ...act, recvNs, accepted };
      out.write(`${JSON.stringify(record)}\n`);
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ accepted }));
    } catch (error) {
      response.writeHead(400);
      response.end(String(error));
    }
  }

  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    process.stdout.write(`sink-port ${address.port}\n`);
  });
  process.once("SIGTERM", () => {
    server.close();
    server.closeAllConnections();
    out.end(() => process.exit(0));
  });
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = "";
  for await (const chunk of request) {
    body += String(chunk);
    if (body.length > BODY_BYTES_MAX) throw new Error("act too large");
  }
  return body;
}

function parseAct(body: string): CompanionAct {
  const act = JSON.parse(body) as Record<string, unknown>;
  const { group, node, term, checkNs, sendNs } = act;
  if (typeof group !== "string" || typeof node !== "string") throw new Error("group, node");
  if (![term, checkNs, sendNs].every((n) => typeof n === "number" && Number.isFinite(n))) {
    throw new Error("term, checkNs, sendNs must be numbers");
  }
  return {
    group,
    node,
    term: term as number,
    checkNs: checkNs as number,
    sendNs: sendNs as number,
  };
}

const outFile = process.argv[2];
if (outFile === undefined) {
  console.error("usage: sink-process.ts OUT_FILE");
  process.exit(2);
}
main(outFile);
