/**
 * The replicated session table (Raft dissertation §6.3): what makes a retried command apply
 * once. For each client it keeps the outcomes of the commands not yet known to be answered,
 * keyed by sequence number; a command whose outcome is kept is not applied again — its kept
 * outcome is returned. Every replica updates it in the same order from the same entries, so it
 * is deterministic; it is bounded (clients, outcomes per client) and travels in snapshots.
 */
import { Packr } from "msgpackr";
import type { ApplyOutcome } from "../proposal-book.js";

/** What the table decides for one session command. */
export type SessionDecision =
  /** First time: apply it, then {@link SessionTable.record} the outcome. */
  | { readonly type: "apply" }
  /** Applied before: return this outcome without applying. */
  | { readonly type: "duplicate"; readonly outcome: ApplyOutcome }
  /** Already answered and forgotten (the client said so): not applied again. */
  | { readonly type: "stale" };

interface ClientSession {
  respondedTo: number;
  /** Index of the last entry that touched this session (eviction order). */
  lastIndex: number;
  readonly outcomes: Map<number, ApplyOutcome>;
}

/** Bounds of the table. */
export interface SessionLimits {
  /** Clients kept; past it the least recently active is forgotten (default 10000). */
  readonly clientsMax: number;
  /** Unanswered outcomes kept per client; past it the oldest is forgotten (default 4096). */
  readonly outcomesPerClientMax: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  clientsMax: 10_000,
  outcomesPerClientMax: 4096,
};

/**
 * Msgpack without records, the same bytes on every replica: opaque inside a snapshot, so
 * msgpackr's encoding of `undefined` is kept (a duplicate answers exactly what the first did).
 */
const packr = new Packr({ useRecords: false, moreTypes: false, int64AsType: "number" });
const SNAPSHOT_VERSION = 1;

/** One group's session table. */
export class SessionTable {
  private readonly clients = new Map<string, ClientSession>();

  constructor(private readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS) {}

  get size(): number {
    return this.clients.size;
  }

  /** Decides what to do with `sequence` of `clientId` at `index`, pruning what is answered. */
  check(clientId: string, sequence: number, respondedTo: number, index: number): SessionDecision {
    const session = this.clients.get(clientId);
    if (session === undefined) return { type: "apply" };
    session.lastIndex = index;
    if (respondedTo > session.respondedTo) {
      session.respondedTo = respondedTo;
      for (const kept of [...session.outcomes.keys()]) {
        if (kept <= respondedTo) session.outcomes.delete(kept);
      }
    }
    const outcome = session.outcomes.get(sequence);
    if (outcome !== undefined) return { type: "duplicate", outcome };
    if (sequence <= session.respondedTo) return { type: "stale" };
    return { type: "apply" };
  }

  /**
   * What is known of `sequence` of `clientId` without changing anything (the leader asks before
   * appending, so a retry of an applied command is answered without a new entry): its kept
   * outcome, `stale` when it was answered and forgotten, or undefined when it never applied.
   */
  lookup(clientId: string, sequence: number): SessionDecision | undefined {
    const session = this.clients.get(clientId);
    if (session === undefined) return undefined;
    const outcome = session.outcomes.get(sequence);
    if (outcome !== undefined) return { type: "duplicate", outcome };
    return sequence <= session.respondedTo ? { type: "stale" } : undefined;
  }

  /** Records the outcome of `sequence`, applied at `index`. */
  record(
    clientId: string,
    sequence: number,
    respondedTo: number,
    index: number,
    outcome: ApplyOutcome,
  ): void {
    let session = this.clients.get(clientId);
    if (session === undefined) {
      session = { respondedTo, lastIndex: index, outcomes: new Map() };
      this.clients.set(clientId, session);
      this.evictClients();
    }
    session.lastIndex = index;
    session.outcomes.set(sequence, outcome);
    if (session.outcomes.size > this.limits.outcomesPerClientMax) {
      const oldest = Math.min(...session.outcomes.keys());
      session.outcomes.delete(oldest);
      // Forgotten means answered as far as the table knows: a retry of it is stale.
      session.respondedTo = Math.max(session.respondedTo, oldest);
    }
  }

  /** The table as bytes, for a snapshot (plain msgpack; errors as `{ name, message }`). */
  encode(): Uint8Array {
    const clients = [...this.clients]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([clientId, s]) => [
        clientId,
        s.respondedTo,
        s.lastIndex,
        [...s.outcomes].map(([sequence, o]) =>
          o.ok ? [sequence, true, o.result] : [sequence, false, errorShape(o.error)],
        ),
      ]);
    return packr.pack([SNAPSHOT_VERSION, clients]);
  }

  /** Replaces the table with one read from a snapshot. @throws {Error} on damage. */
  restore(bytes: Uint8Array): void {
    const decoded: unknown = packr.unpack(bytes);
    if (!Array.isArray(decoded) || decoded[0] !== SNAPSHOT_VERSION || !Array.isArray(decoded[1])) {
      throw new Error("session table: unknown snapshot layout");
    }
    this.clients.clear();
    for (const row of decoded[1] as unknown[]) {
      if (!Array.isArray(row) || typeof row[0] !== "string" || !Array.isArray(row[3])) {
        throw new Error("session table: damaged client row");
      }
      const outcomes = new Map<number, ApplyOutcome>();
      for (const kept of row[3] as unknown[]) {
        if (!Array.isArray(kept) || typeof kept[0] !== "number") {
          throw new Error("session table: damaged outcome");
        }
        outcomes.set(
          kept[0],
          kept[1] === true ? { ok: true, result: kept[2] } : { ok: false, error: toError(kept[2]) },
        );
      }
      this.clients.set(row[0], {
        respondedTo: Number(row[1]),
        lastIndex: Number(row[2]),
        outcomes,
      });
    }
  }

  /** Forgets the least recently active clients past the bound (ties by id: deterministic). */
  private evictClients(): void {
    while (this.clients.size > this.limits.clientsMax) {
      let victim: string | undefined;
      let victimIndex = Infinity;
      for (const [clientId, session] of this.clients) {
        if (
          session.lastIndex < victimIndex ||
          (session.lastIndex === victimIndex && victim !== undefined && clientId < victim)
        ) {
          victim = clientId;
          victimIndex = session.lastIndex;
        }
      }
      if (victim === undefined) return;
      this.clients.delete(victim);
    }
  }
}

function errorShape(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}

function toError(shape: unknown): Error {
  const { name, message } = (shape ?? {}) as { name?: unknown; message?: unknown };
  const error = new Error(typeof message === "string" ? message : "unknown error");
  if (typeof name === "string") error.name = name;
  return error;
}
