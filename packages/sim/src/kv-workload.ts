/**
 * What a simulated client does next, shared by the core-mode and runtime-mode clients: 30 %
 * reads, then puts, compare-and-sets (usually expecting the last value it saw) and deletes on its
 * key. The random draws (one `nextInt(100)`, then one `chance(0.7)` for a compare-and-set) are
 * part of every seed's replay: change them only together with the pinned regression seeds.
 */
import type { SeededRandom } from "@flotilla/raft";
import type { KvWrite } from "./kv-command.js";

/** A read, or the write to make (its value names the client and the write's sequence). */
export type KvOperation =
  { readonly type: "read" } | { readonly type: "write"; readonly write: KvWrite };

/** Draws the next operation of client `clientId`, whose next write is number `nextSeq`. */
export function nextKvOperation(
  random: SeededRandom,
  clientId: string,
  nextSeq: number,
  key: string,
  lastSeen: string | undefined,
): KvOperation {
  const roll = random.nextInt(100);
  if (roll < 30) return { type: "read" };
  const value = `${clientId}#${nextSeq}`;
  const write: KvWrite =
    roll < 65
      ? { kind: "put", key, value }
      : roll < 90
        ? { kind: "cas", key, expected: random.chance(0.7) ? lastSeen : undefined, value }
        : { kind: "delete", key };
  return { type: "write", write };
}
