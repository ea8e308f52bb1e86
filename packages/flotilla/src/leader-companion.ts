/**
 * A kind's leader companion: leader-only work the node process runs, through the runtime's
 * `leaderOnly`, for each group of that kind it leads (DESIGN.md). A `--kinds` module exports
 * them beside its kinds, as `companions: { [kind]: companion }`. The companion's `term` is a
 * fencing token and `leaseValid()` the last check before acting; a companion that throws is
 * logged, never fatal.
 */
import { pathToFileURL } from "node:url";
import type { Logger } from "pino";

/** What a leader companion receives, each time its replica becomes the group's leader. */
export interface LeaderCompanionContext {
  /** This node's id. */
  readonly nodeId: string;
  /** The group this replica leads. */
  readonly groupId: string;
  /** The group's kind. */
  readonly kind: string;
  /**
   * The term this replica leads in: a fencing token. Anything the companion writes elsewhere
   * should carry it, and the resource should refuse a token lower than the highest it has seen.
   */
  readonly term: number;
  /** Aborted as soon as this replica stops leading in `term` (or the node stops). */
  readonly signal: AbortSignal;
  /**
   * Whether this replica's leader lease still holds, on the monotonic clock: call it right
   * before each act. Cheap. A process paused past its lease (SIGSTOP, a long GC) sees `false`
   * at once, before its signal aborts; it narrows the window for a stale act but cannot close
   * it (a pause may fall between the check and the act), so the resource must still check the
   * fencing `term`.
   */
  leaseValid(): boolean;
  /** A logger bound to the node, the group, the kind and the term. */
  readonly logger: Logger;
  /**
   * Proposes `command` to this group through this replica (which leads it) and resolves with
   * the state machine's result. Aborted with `signal`; rejects with the runtime's typed errors
   * (`NotLeaderError`, `ProposalOutcomeUnknownError`, …).
   */
  propose(command: unknown): Promise<unknown>;
}

/**
 * Leader-only work for every group of one kind. Its promise, if any, is awaited only to log a
 * failure; it should end when `context.signal` aborts.
 *
 * @example
 * // kinds.ts, loaded with `flotilla node --kinds ./kinds.js`
 * import { KvStateMachine, type LeaderCompanion } from "flotilla";
 *
 * export const kinds = { jobs: () => new KvStateMachine() };
 * export const companions: Record<string, LeaderCompanion> = {
 *   jobs: async ({ term, signal, leaseValid, propose }) => {
 *     for (let tick = 0; !signal.aborted; tick++) {
 *       await new Promise((resolve) => setTimeout(resolve, 1_000));
 *       // The last check before acting; the term still fences whatever this write reaches.
 *       if (!leaseValid()) continue;
 *       await propose({ op: "put", key: "heartbeat", value: { term, tick } });
 *     }
 *   },
 * };
 */
export type LeaderCompanion = (context: LeaderCompanionContext) => void | Promise<void>;

/**
 * The `companions` export of the kinds module at `path` (none without a path or the export).
 *
 * @throws {Error} when `companions` is not an object of functions.
 */
export async function loadCompanions(
  path: string | undefined,
): Promise<Map<string, LeaderCompanion>> {
  const companions = new Map<string, LeaderCompanion>();
  if (path === undefined) return companions;
  const loaded = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  const table = loaded["companions"];
  if (table === undefined) return companions;
  if (typeof table !== "object" || table === null) {
    throw new Error(`${path}: companions must be an object of leader companions by kind`);
  }
  for (const [kind, companion] of Object.entries(table)) {
    if (typeof companion !== "function") {
      throw new Error(`${path}: the companion of kind ${kind} is not a function`);
    }
    companions.set(kind, companion as LeaderCompanion);
  }
  return companions;
}
