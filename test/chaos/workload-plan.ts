/**
 * Who does what in the chaos workload, as a pure function of the run's shape: the keys of each
 * group (two registers, one list), which two clients work each key, which client process runs
 * which clients and which committed-stream subscribers. Every key gets exactly two clients, so
 * each history has real concurrency.
 */

/** The keys of one group: registers take put/get/cas, lists append/read-list. */
export const REGISTER_KEYS = ["r0", "r1"] as const;
export const LIST_KEYS = ["l0"] as const;

/** A key of the workload. */
export interface WorkloadKey {
  readonly groupId: string;
  /** The key inside the group's state. */
  readonly key: string;
  readonly type: "register" | "list";
}

/** One sequential client of the workload. */
export interface ClientPlan {
  /** Its number in the history (later numbers after an unknown outcome, see client-process). */
  readonly clientNum: number;
  readonly keys: readonly WorkloadKey[];
}

/** One committed-stream subscriber. */
export interface SubscriberPlan {
  readonly subscriberId: string;
  readonly groupId: string;
}

/** What one client process runs. */
export interface ProcessPlan {
  readonly processIndex: number;
  readonly clients: readonly ClientPlan[];
  readonly subscribers: readonly SubscriberPlan[];
}

/** The shape of the workload. */
export interface WorkloadShape {
  readonly groupIds: readonly string[];
  /** Sequential clients in all (at least 2). */
  readonly clients: number;
  /** Client processes (at least 1, at most `clients`). */
  readonly processes: number;
  /** Subscribers per group. */
  readonly subscribersPerGroup: number;
}

/** Every key of the workload, group by group. */
export function workloadKeys(groupIds: readonly string[]): WorkloadKey[] {
  return groupIds.flatMap((groupId) => [
    ...REGISTER_KEYS.map((key) => ({ groupId, key, type: "register" as const })),
    ...LIST_KEYS.map((key) => ({ groupId, key, type: "list" as const })),
  ]);
}

/**
 * Splits the workload over the processes: key k goes to client k mod C and to a second, distinct
 * client that shifts with each round of keys (so pairs vary); clients and subscribers are dealt
 * round-robin over the processes.
 *
 * @throws {RangeError} for fewer than 2 clients or a process count outside [1, clients].
 */
export function planWorkload(shape: WorkloadShape): ProcessPlan[] {
  const { clients, processes } = shape;
  if (!Number.isInteger(clients) || clients < 2) throw new RangeError("at least 2 clients");
  if (!Number.isInteger(processes) || processes < 1 || processes > clients) {
    throw new RangeError(`processes must be in [1, ${clients}]`);
  }
  const keysOf = Array.from({ length: clients }, (): WorkloadKey[] => []);
  workloadKeys(shape.groupIds).forEach((key, k) => {
    const first = k % clients;
    const second = (first + 1 + (Math.floor(k / clients) % (clients - 1))) % clients;
    keysOf[first]?.push(key);
    keysOf[second]?.push(key);
  });
  const plans = Array.from({ length: processes }, (_, processIndex) => ({
    processIndex,
    clients: [] as ClientPlan[],
    subscribers: [] as SubscriberPlan[],
  }));
  keysOf.forEach((keys, clientNum) =>
    plans[clientNum % processes]?.clients.push({ clientNum, keys }),
  );
  let dealt = 0;
  for (const groupId of shape.groupIds) {
    for (let s = 0; s < shape.subscribersPerGroup; s++) {
      plans[dealt++ % processes]?.subscribers.push({ subscriberId: `${groupId}#${s}`, groupId });
    }
  }
  return plans;
}
