/**
 * How a command is framed in a log entry. Every application entry the runtime proposes starts
 * with one tag byte:
 *
 * - `0x00` — a plain command: the rest is the command's bytes (a local `propose`);
 * - `0x01` — a session command (Raft dissertation §6.3): a header naming the client, its
 *   sequence number and the highest sequence number it has seen answered, then the command's
 *   bytes. The state machine wrapper applies each (client, sequence) once.
 *
 * Session header, big-endian: `u8 clientIdLength`, the client id in UTF-8, `f64 sequence`,
 * `f64 respondedTo` (integers below 2^53). `docs/protocol.md` repeats this layout.
 */

/** The identity of a retried command: who sent it and its number in that client's order. */
export interface SessionHeader {
  /** `[A-Za-z0-9_-]{1,64}`, chosen by the client (unique per client process). */
  readonly clientId: string;
  /** The client's sequence number of this command, from 1. */
  readonly sequence: number;
  /** Every sequence number at or below this one has been answered to the client. */
  readonly respondedTo: number;
}

/** A decoded entry: the command's bytes, with the session header when there is one. */
export type CommandFrame =
  | { readonly type: "plain"; readonly command: Uint8Array }
  | { readonly type: "session"; readonly session: SessionHeader; readonly command: Uint8Array }
  | { readonly type: "malformed"; readonly reason: string };

const PLAIN = 0x00;
const SESSION = 0x01;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Frames a plain command. */
export function encodePlain(command: Uint8Array): Uint8Array {
  const framed = new Uint8Array(command.byteLength + 1);
  framed[0] = PLAIN;
  framed.set(command, 1);
  return framed;
}

/** Frames a session command. @throws {RangeError} for an invalid header. */
export function encodeSession(session: SessionHeader, command: Uint8Array): Uint8Array {
  const id = encoder.encode(session.clientId);
  if (id.byteLength === 0 || id.byteLength > 255) throw new RangeError("clientId length");
  if (!Number.isSafeInteger(session.sequence) || session.sequence < 1) {
    throw new RangeError("sequence must be a positive safe integer");
  }
  if (!Number.isSafeInteger(session.respondedTo) || session.respondedTo < 0) {
    throw new RangeError("respondedTo must be a non-negative safe integer");
  }
  const headerBytes = 2 + id.byteLength + 16;
  const framed = new Uint8Array(headerBytes + command.byteLength);
  const view = new DataView(framed.buffer);
  framed[0] = SESSION;
  framed[1] = id.byteLength;
  framed.set(id, 2);
  view.setFloat64(2 + id.byteLength, session.sequence);
  view.setFloat64(10 + id.byteLength, session.respondedTo);
  framed.set(command, headerBytes);
  return framed;
}

/** Reads an entry's frame. Never throws: damage is reported as `malformed`. */
export function decodeFrame(data: Uint8Array): CommandFrame {
  if (data.byteLength === 0) return { type: "malformed", reason: "empty entry" };
  if (data[0] === PLAIN) return { type: "plain", command: data.subarray(1) };
  if (data[0] !== SESSION) return { type: "malformed", reason: `unknown tag ${data[0]}` };
  const idLength = data[1] ?? 0;
  const headerBytes = 2 + idLength + 16;
  if (idLength === 0 || data.byteLength < headerBytes) {
    return { type: "malformed", reason: "truncated session header" };
  }
  let clientId: string;
  try {
    clientId = decoder.decode(data.subarray(2, 2 + idLength));
  } catch {
    return { type: "malformed", reason: "client id is not UTF-8" };
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const sequence = view.getFloat64(2 + idLength);
  const respondedTo = view.getFloat64(10 + idLength);
  if (!Number.isSafeInteger(sequence) || !Number.isSafeInteger(respondedTo)) {
    return { type: "malformed", reason: "sequence numbers are not integers" };
  }
  return {
    type: "session",
    session: { clientId, sequence, respondedTo },
    command: data.subarray(headerBytes),
  };
}

/** The command's bytes inside a framed entry (what `committed$` hands out). */
export function commandBytes(data: Uint8Array): Uint8Array {
  const frame = decodeFrame(data);
  return frame.type === "malformed" ? data : frame.command;
}
