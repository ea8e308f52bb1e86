/**
 * The client messages, as plain msgpack maps (no msgpackr-only extensions, so any language's
 * msgpack library reads them), each with the protocol version `v`. docs/protocol.md gives the
 * same layouts. Decoding checks every field and turns anything else into a `BadRequestError`.
 *
 * - propose request: `{ v: 1, client: string, respondedTo: uint, commands: [{ seq: uint, command: bin }] }`
 *   — `command` is the msgpack encoding of the state machine's command; several commands for one
 *   group travel in one request;
 * - propose reply: `{ v: 1, results: [{ ok: true, result: any } | { ok: false, error: WireError }] }`
 *   in the order of `commands`, or `{ v: 1, error: WireError }` when the request as a whole fails;
 * - read request: `{ v: 1, query: any }`; read and control replies: `{ v: 1, ok: true, result: any }`
 *   or `{ v: 1, ok: false, error: WireError }`;
 * - control request: `{ v: 1, op: string, ...arguments }`.
 */
import { C1, Packr } from "msgpackr";
import { BadRequestError } from "@flotilla/runtime";
import type { WireError } from "./wire-errors.js";

/** The client protocol version this code speaks. */
export const CLIENT_PROTOCOL_VERSION = 1;

/** Plain msgpack: maps decode to objects, binary to Uint8Array. */
const packr = new Packr({
  useRecords: false,
  moreTypes: false,
  // undefined travels as nil (the ext msgpackr uses for it is not plain msgpack).
  encodeUndefinedAsNil: true,
  // Other languages write small integers in 64-bit encodings too: read them as numbers.
  int64AsType: "number",
});

/** One command in a propose request. */
export interface WireCommand {
  readonly seq: number;
  readonly command: Uint8Array;
}

export interface ProposeRequest {
  readonly v: number;
  readonly client: string;
  readonly respondedTo: number;
  readonly commands: readonly WireCommand[];
}

export type WireOutcome =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: WireError };

export type ProposeReply =
  | { readonly v: number; readonly results: readonly WireOutcome[] }
  | { readonly v: number; readonly error: WireError };

export interface ReadRequest {
  readonly v: number;
  readonly query: unknown;
}

export type Reply =
  | { readonly v: number; readonly ok: true; readonly result: unknown }
  | { readonly v: number; readonly ok: false; readonly error: WireError };

export interface ControlRequest {
  readonly v: number;
  readonly op: string;
  readonly [argument: string]: unknown;
}

/** Encodes any client message or value as plain msgpack. */
export function encodeWire(value: unknown): Uint8Array {
  return packr.pack(value);
}

/**
 * Decodes msgpack bytes: exactly one value, nothing after it.
 *
 * @throws {BadRequestError} when they are not msgpack, including the byte 0xc1, which the
 *   msgpack spec never uses (msgpackr would hand back a placeholder object for it).
 */
export function decodeWire(bytes: Uint8Array): unknown {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (error) {
    throw new BadRequestError("not msgpack", { cause: error });
  }
  if (holdsNeverUsed(value)) throw new BadRequestError("not msgpack (the never-used byte 0xc1)");
  return value;
}

/**
 * True when msgpackr's placeholder for 0xc1 is anywhere in `value`. Iterative, so a deeply
 * nested value (as deep as the decoder allowed) cannot overflow the stack; bounded by the value's
 * size, which the decoder already walked.
 */
function holdsNeverUsed(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (next === C1) return true;
    if (typeof next !== "object" || next === null || next instanceof Uint8Array) continue;
    // One push per item: spreading a million-element array would overflow the call stack.
    if (Array.isArray(next)) for (const item of next as unknown[]) pending.push(item);
    else if (next instanceof Map) for (const [key, item] of next) pending.push(key, item);
    else for (const item of Object.values(next)) pending.push(item);
  }
  return false;
}

/** @throws {BadRequestError} */
export function decodeProposeRequest(bytes: Uint8Array): ProposeRequest {
  const message = versioned(decodeWire(bytes));
  const { client, respondedTo, commands } = message;
  if (typeof client !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(client)) {
    throw new BadRequestError("client must be an id ([A-Za-z0-9_-]{1,64})");
  }
  if (!isCount(respondedTo))
    throw new BadRequestError("respondedTo must be a non-negative integer");
  if (!Array.isArray(commands) || commands.length === 0) {
    throw new BadRequestError("commands must be a non-empty array");
  }
  const checked: WireCommand[] = commands.map((entry: unknown, i) => {
    if (typeof entry !== "object" || entry === null) {
      throw new BadRequestError(`commands[${i}] must be a map`);
    }
    const { seq, command } = entry as Record<string, unknown>;
    if (!isCount(seq) || seq < 1) throw new BadRequestError(`commands[${i}].seq must be >= 1`);
    if (!(command instanceof Uint8Array)) {
      throw new BadRequestError(`commands[${i}].command must be binary`);
    }
    return { seq, command };
  });
  return { v: CLIENT_PROTOCOL_VERSION, client, respondedTo, commands: checked };
}

/** @throws {BadRequestError} */
export function decodeReadRequest(bytes: Uint8Array): ReadRequest {
  const message = versioned(decodeWire(bytes));
  if (!("query" in message)) throw new BadRequestError("a read request needs a query");
  return { v: CLIENT_PROTOCOL_VERSION, query: message["query"] };
}

/** @throws {BadRequestError} */
export function decodeControlRequest(bytes: Uint8Array): ControlRequest {
  const message = versioned(decodeWire(bytes));
  if (typeof message["op"] !== "string") throw new BadRequestError("op must be a string");
  return { ...message, v: CLIENT_PROTOCOL_VERSION, op: message["op"] };
}

/** Reads a reply (to a propose, read or control request). @throws {BadRequestError} */
export function decodeReply(bytes: Uint8Array): Record<string, unknown> {
  return versioned(decodeWire(bytes));
}

/** Checks the outcome list of a propose reply against the number of commands sent. */
export function proposeOutcomes(reply: Record<string, unknown>, count: number): WireOutcome[] {
  const results = reply["results"];
  if (!Array.isArray(results) || results.length !== count) {
    throw new BadRequestError(`reply must carry ${count} results`);
  }
  return results.map((outcome: unknown) => {
    if (typeof outcome !== "object" || outcome === null) throw new BadRequestError("bad outcome");
    const { ok, result, error } = outcome as Record<string, unknown>;
    if (ok === true) return { ok: true, result };
    return { ok: false, error: wireError(error) };
  });
}

/** A `WireError` from a decoded field. @throws {BadRequestError} */
export function wireError(value: unknown): WireError {
  if (typeof value !== "object" || value === null) throw new BadRequestError("bad error field");
  const { code, message } = value as Record<string, unknown>;
  if (typeof code !== "string" || typeof message !== "string") {
    throw new BadRequestError("an error needs a code and a message");
  }
  return value as WireError;
}

function versioned(message: unknown): Record<string, unknown> {
  if (typeof message !== "object" || message === null || Array.isArray(message)) {
    throw new BadRequestError("a message must be a msgpack map");
  }
  const fields = message as Record<string, unknown>;
  if (fields["v"] !== CLIENT_PROTOCOL_VERSION) {
    throw new BadRequestError(
      `unsupported protocol version ${describe(fields["v"])} (this node speaks ${CLIENT_PROTOCOL_VERSION})`,
    );
  }
  return fields;
}

/** A short description of a value from the wire, calling none of its methods. */
function describe(value: unknown): string {
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return `${value}`;
  }
  if (typeof value === "string") return JSON.stringify(value.slice(0, 32));
  if (value === null || value === undefined) return "nil";
  return Array.isArray(value) ? "an array" : typeof value === "object" ? "a map" : typeof value;
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** A committed event on the wire: `{ type: "entry" | "snapshot", index, term, data: bin }`. */
export interface WireCommittedEvent {
  readonly type: "entry" | "snapshot";
  readonly index: number;
  readonly term: number;
  readonly data: Uint8Array;
}

/**
 * A range of committed history: every index in (`after`, `through`] is accounted for by
 * `events` (no-op and configuration entries carry none). The live `committed` messages are
 * `{ v: 1, after, through, events }`; an `entries` reply's result is `{ after, through, events }`.
 */
export interface CommittedRange {
  readonly after: number;
  readonly through: number;
  readonly events: readonly WireCommittedEvent[];
}

/** Checks a decoded committed range. @throws {BadRequestError} */
export function committedRange(value: unknown): CommittedRange {
  if (typeof value !== "object" || value === null) throw new BadRequestError("range: not a map");
  const { after, through, events } = value as Record<string, unknown>;
  if (!isCount(after) || !isCount(through) || through < after || !Array.isArray(events)) {
    throw new BadRequestError("range: after, through and events are required");
  }
  const checked = events.map((event: unknown): WireCommittedEvent => {
    const { type, index, term, data } = (event ?? {}) as Record<string, unknown>;
    if (
      (type !== "entry" && type !== "snapshot") ||
      !isCount(index) ||
      !isCount(term) ||
      !(data instanceof Uint8Array)
    ) {
      throw new BadRequestError("range: bad event");
    }
    return { type, index, term, data };
  });
  return { after, through, events: checked };
}

/** Reads an `entries` request: `{ v: 1, fromIndex: uint ≥ 1, maxBytes?: uint }`. */
export function decodeEntriesRequest(bytes: Uint8Array): { fromIndex: number; maxBytes: number } {
  const message = versioned(decodeWire(bytes));
  const { fromIndex, maxBytes } = message;
  if (!isCount(fromIndex) || fromIndex < 1) throw new BadRequestError("fromIndex must be >= 1");
  if (maxBytes !== undefined && !isCount(maxBytes)) throw new BadRequestError("bad maxBytes");
  return { fromIndex, maxBytes: maxBytes ?? 256 * 1024 };
}
