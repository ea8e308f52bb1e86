/**
 * The simulated clients' KV state machine (`../kv-state-machine.ts`) behind the runtime's
 * {@link StateMachine} interface, reporting every apply and restore to an observer — the host
 * checker's view of "apply after commit" and "the same entry at each index on every replica".
 * The runtime applies only application entries, so the indexes of Raft's no-op and configuration
 * entries are skipped here. It never throws at the runtime for a checker's sake: a throw from
 * `apply` would be taken as the command's deterministic outcome.
 */
import type { NodeId } from "@flotilla/raft";
import type { AppliedEntry, StateMachine } from "@flotilla/runtime";
import { KvStateMachine, type KvApplied } from "../kv-state-machine.js";

/** Which replica of which host incarnation. */
export interface ReplicaRef {
  readonly nodeId: NodeId;
  readonly groupId: string;
  readonly incarnation: number;
}

/** Who hears about applies and restores. */
export interface KvApplyObserver {
  /**
   * `entry`, whose command bytes are `command`, was applied with `applied`; `previousIndex` is
   * the index applied before it.
   */
  applied(
    replica: ReplicaRef,
    entry: AppliedEntry,
    command: Uint8Array,
    applied: KvApplied,
    previousIndex: number,
  ): void;
  /** The state was replaced by a snapshot: at start (from storage) or installed from a leader. */
  restored(replica: ReplicaRef, atStart: boolean): void;
}

/**
 * One replica's KV state machine.
 *
 * @example
 * const kv = new CheckedKv({ nodeId, groupId, incarnation: 1 }, observer);
 * const group = await node.group(groupId, { members, stateMachine: kv });
 * kv.markStarted();
 */
export class CheckedKv implements StateMachine<Uint8Array, KvApplied, string, string | undefined> {
  private kv = new KvStateMachine();
  private started = false;

  constructor(
    readonly replica: ReplicaRef,
    private readonly observer: KvApplyObserver,
  ) {}

  /** `group()` returned: a restore from now on is a snapshot installed from the leader. */
  markStarted(): void {
    this.started = true;
  }

  apply(command: Uint8Array, entry: AppliedEntry): KvApplied {
    const previousIndex = this.kv.appliedIndex();
    if (entry.index <= previousIndex) {
      // Reported by the observer; the KV map is left as it is (it cannot go back).
      const applied: KvApplied = {
        command: { kind: "marker", id: "" },
        result: undefined,
        duplicate: true,
      };
      this.observer.applied(this.replica, entry, command, applied, previousIndex);
      return applied;
    }
    for (let index = previousIndex + 1; index < entry.index; index++) this.kv.skip(index);
    const applied = this.kv.apply(entry.index, command);
    this.observer.applied(this.replica, entry, command, applied, previousIndex);
    return applied;
  }

  query(key: string): string | undefined {
    return this.kv.get(key);
  }

  snapshot(): Uint8Array {
    return this.kv.snapshot();
  }

  restore(snapshot: Uint8Array): void {
    this.kv = KvStateMachine.restore(snapshot);
    this.observer.restored(this.replica, !this.started);
  }
}
