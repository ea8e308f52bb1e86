/**
 * The commands the simulated clients put in the log, and their bytes. Every client command
 * carries `(clientId, seq)` so the state machine applies it at most once (Raft dissertation
 * §6.3); a marker is the liveness phase's probe entry and changes nothing.
 */
import type { KvOperation, KvOutput } from "./linearizability/history-operation.js";

/** A write a client proposes through the log. Reads go through ReadIndex, not the log. */
export type KvWrite = Exclude<KvOperation, { readonly kind: "get" }>;

/** What applying a write answered. */
export type KvWriteOutput = Exclude<KvOutput, { readonly kind: "get" }>;

/** One log entry's payload. */
export type KvCommand =
  | {
      readonly kind: "client";
      readonly clientId: string;
      readonly seq: number;
      readonly write: KvWrite;
    }
  | { readonly kind: "marker"; readonly id: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The bytes of `command` (JSON; `undefined` fields are written as `null`). */
export function encodeKvCommand(command: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify(command, (_key, value: unknown) => value ?? null));
}

/**
 * The command in `data`.
 *
 * @throws {SyntaxError | RangeError} on bytes no simulated client wrote.
 */
export function decodeKvCommand(data: Uint8Array): KvCommand {
  const raw = JSON.parse(decoder.decode(data)) as Record<string, unknown>;
  if (raw["kind"] === "marker" && typeof raw["id"] === "string") {
    return { kind: "marker", id: raw["id"] };
  }
  const write = raw["write"] as Record<string, unknown> | undefined;
  if (
    raw["kind"] !== "client" ||
    typeof raw["clientId"] !== "string" ||
    typeof raw["seq"] !== "number" ||
    write === undefined
  ) {
    throw new RangeError("not a simulated client's command");
  }
  return { kind: "client", clientId: raw["clientId"], seq: raw["seq"], write: decodeWrite(write) };
}

function decodeWrite(raw: Record<string, unknown>): KvWrite {
  const key = raw["key"];
  if (typeof key !== "string") throw new RangeError("a write needs a key");
  switch (raw["kind"]) {
    case "put":
      return { kind: "put", key, value: String(raw["value"]) };
    case "delete":
      return { kind: "delete", key };
    case "cas": {
      const expected = raw["expected"];
      return {
        kind: "cas",
        key,
        expected: typeof expected === "string" ? expected : undefined,
        value: String(raw["value"]),
      };
    }
    default:
      throw new RangeError(`unknown write ${String(raw["kind"])}`);
  }
}
