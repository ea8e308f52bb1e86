/**
 * How a group's snapshot is framed in storage: the runtime's session table beside the user
 * state machine's bytes, so both are restored together.
 *
 * Layout: the 4 bytes `FLS1`, `u32` (big-endian) length of the session table, the session
 * table (see session-table.ts), then the state machine's snapshot. Data without the magic is a
 * bare state machine snapshot (no session table).
 */
const MAGIC = [0x46, 0x4c, 0x53, 0x31]; // "FLS1"

/** The two parts of a stored snapshot. */
export interface SnapshotParts {
  readonly sessions: Uint8Array | undefined;
  readonly state: Uint8Array;
}

/** Frames the session table and the state machine's snapshot together. */
export function encodeSnapshot(sessions: Uint8Array, state: Uint8Array): Uint8Array {
  const framed = new Uint8Array(8 + sessions.byteLength + state.byteLength);
  framed.set(MAGIC, 0);
  new DataView(framed.buffer).setUint32(4, sessions.byteLength);
  framed.set(sessions, 8);
  framed.set(state, 8 + sessions.byteLength);
  return framed;
}

/** Splits a stored snapshot; bare data (an empty bootstrap snapshot too) has no sessions. */
export function decodeSnapshot(data: Uint8Array): SnapshotParts {
  if (data.byteLength < 8 || MAGIC.some((byte, i) => data[i] !== byte)) {
    return { sessions: undefined, state: data };
  }
  const length = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(4);
  if (8 + length > data.byteLength) return { sessions: undefined, state: data };
  return { sessions: data.subarray(8, 8 + length), state: data.subarray(8 + length) };
}
