/**
 * The simulated clients' replicated state machine: a deterministic key-value map with a client
 * session table, so a command delivered twice (a duplicated forwarded proposal, a client retry)
 * is applied once and the retry gets the first answer (Raft dissertation §6.3). The session table
 * is part of the snapshot, so the guarantee survives compaction and restarts.
 */
import { assert } from "@flotilla/raft";
import { decodeKvCommand, type KvCommand, type KvWrite, type KvWriteOutput } from "./kv-command.js";

/** The last command a client had applied, and its answer. */
export interface KvSession {
  readonly seq: number;
  readonly result: KvWriteOutput;
  /** The log index that applied it: eviction picks the lowest, the same on every replica. */
  readonly index: number;
}

/** What applying one log entry did. */
export interface KvApplied {
  readonly command: KvCommand;
  /** The write's answer (the cached one for a duplicate); undefined for a marker or stale seq. */
  readonly result: KvWriteOutput | undefined;
  /** True when the command had already been applied (its seq is not new). */
  readonly duplicate: boolean;
}

/**
 * Sessions kept at most. The simulator never has more clients than this, so no session is
 * evicted mid-run; were one evicted, a late duplicate of its commands could apply again, which
 * is why a real host registers sessions explicitly (the runtime does).
 */
export const KV_SESSIONS_MAX = 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A key-value map driven by log entries.
 *
 * @example
 * const kv = new KvStateMachine();
 * kv.apply(1, encodeKvCommand({ kind: "client", clientId: "c", seq: 1, write: { kind: "put", key: "k", value: "v" } }));
 * kv.get("k"); // "v"
 */
export class KvStateMachine {
  private readonly values = new Map<string, string>();
  private readonly sessions = new Map<string, KvSession>();
  private lastAppliedIndex = 0;

  /** The index of the last entry applied (or restored from a snapshot). */
  appliedIndex(): number {
    return this.lastAppliedIndex;
  }

  /** The current value of `key`. */
  get(key: string): string | undefined {
    return this.values.get(key);
  }

  /** The session of `clientId`, if it has applied anything. */
  session(clientId: string): KvSession | undefined {
    return this.sessions.get(clientId);
  }

  /** Records that a non-application entry (no-op, configuration) was applied at `index`. */
  skip(index: number): void {
    this.advanceTo(index);
  }

  /** Applies the command in `data`, the entry at `index`. */
  apply(index: number, data: Uint8Array): KvApplied {
    this.advanceTo(index);
    const command = decodeKvCommand(data);
    if (command.kind === "marker") return { command, result: undefined, duplicate: false };
    const session = this.sessions.get(command.clientId);
    if (session !== undefined && command.seq <= session.seq) {
      // Already applied: answer as the first time did (or nothing for an older, stale seq).
      const result = command.seq === session.seq ? session.result : undefined;
      return { command, result, duplicate: true };
    }
    const result = this.execute(command.write);
    this.sessions.set(command.clientId, { seq: command.seq, result, index });
    if (this.sessions.size > KV_SESSIONS_MAX) this.evictOldestSession();
    return { command, result, duplicate: false };
  }

  /** Canonical bytes of the whole state (sorted, so equal states give equal bytes). */
  snapshot(): Uint8Array {
    const values = [...this.values.entries()].sort(([a], [b]) => compare(a, b));
    const sessions = [...this.sessions.entries()].sort(([a], [b]) => compare(a, b));
    return encoder.encode(JSON.stringify({ index: this.lastAppliedIndex, values, sessions }));
  }

  /** A state machine holding the state in `bytes` (from {@link snapshot}); empty bytes: empty. */
  static restore(bytes: Uint8Array): KvStateMachine {
    const kv = new KvStateMachine();
    if (bytes.byteLength === 0) return kv;
    const raw = JSON.parse(decoder.decode(bytes)) as {
      index: number;
      values: [string, string][];
      sessions: [string, KvSession][];
    };
    kv.lastAppliedIndex = raw.index;
    for (const [key, value] of raw.values) kv.values.set(key, value);
    for (const [clientId, session] of raw.sessions) kv.sessions.set(clientId, session);
    return kv;
  }

  private advanceTo(index: number): void {
    assert(
      index === this.lastAppliedIndex + 1,
      `apply index ${index} right after ${this.lastAppliedIndex}`,
    );
    this.lastAppliedIndex = index;
  }

  private execute(write: KvWrite): KvWriteOutput {
    switch (write.kind) {
      case "put":
        this.values.set(write.key, write.value);
        return { kind: "put" };
      case "delete":
        this.values.delete(write.key);
        return { kind: "delete" };
      case "cas": {
        const ok = this.values.get(write.key) === write.expected;
        if (ok) this.values.set(write.key, write.value);
        return { kind: "cas", ok };
      }
    }
  }

  private evictOldestSession(): void {
    let oldest: [string, number] | undefined;
    for (const [clientId, session] of this.sessions) {
      if (oldest === undefined || session.index < oldest[1]) oldest = [clientId, session.index];
    }
    if (oldest !== undefined) this.sessions.delete(oldest[0]);
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
