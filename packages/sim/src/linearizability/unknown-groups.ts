/**
 * The unknown-outcome operations, grouped by identical input, each group in call order, and the
 * groups linked into candidate lists. Identical operations are interchangeable, so the search
 * takes a group's members in call order only (symmetry breaking: an earlier-called twin has
 * fewer real-time constraints, so any linearization can be rewritten that way). A group with
 * no member left is unlinked until one is given back, in stack order (dancing links).
 */
import type { Model } from "./model.js";

/** No group, no operation. */
export const NONE = -1;

/** What grouping needs to know of an operation. */
export interface GroupedOperation<Input> {
  readonly input: Input;
  readonly callTime: number;
}

/**
 * Candidate lists, each ordered by the groups' first call: one of groups that may change any
 * state, and one per hash of an enabling state for groups that change only that state.
 */
export class UnknownGroups<State, Input> {
  private readonly members: (readonly number[])[];
  private readonly used: Int32Array;
  private readonly groupById = new Map<number, number>();
  /** Per group: its enabling state, when it has one. */
  private readonly enabling: ({ readonly state: State } | undefined)[];
  /** Links over groups `0 .. count-1`, then one sentinel per list. */
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly unguardedSentinel: number;
  private readonly guardedSentinels = new Map<number, number>();

  /** Groups `ids` (unknown-outcome operations, ids into `operations`) with `model`'s hints. */
  constructor(
    private readonly operations: readonly GroupedOperation<Input>[],
    ids: readonly number[],
    private readonly model: Pick<Model<State, Input, unknown>, "hash" | "unknownOutcomeHints">,
  ) {
    this.members = groupMembers(operations, ids, model.unknownOutcomeHints?.inputKey);
    this.members.forEach((group, index) => group.forEach((id) => this.groupById.set(id, index)));
    this.used = new Int32Array(this.members.length);
    const enablingState = model.unknownOutcomeHints?.enablingState;
    this.enabling = this.members.map((group) => {
      const input = operations[group[0] ?? NONE]?.input;
      return input === undefined || enablingState === undefined ? undefined : enablingState(input);
    });
    const listKeys = this.enabling.map((guard) =>
      guard === undefined ? undefined : model.hash(guard.state),
    );
    const sentinelCount = 1 + new Set(listKeys.filter((key) => key !== undefined)).size;
    this.next = new Int32Array(this.members.length + sentinelCount);
    this.prev = new Int32Array(this.members.length + sentinelCount);
    this.unguardedSentinel = this.members.length;
    this.linkLists(listKeys);
  }

  /** The first group of the list for groups that may change any state, or `NONE`. */
  firstUnguarded(): number {
    return this.following(this.unguardedSentinel);
  }

  /** The first group of the list for groups enabled in states hashing to `stateHash`. */
  firstGuarded(stateHash: number): number {
    const sentinel = this.guardedSentinels.get(stateHash);
    return sentinel === undefined ? NONE : this.following(sentinel);
  }

  /** The group after `group` in its list, or `NONE`. */
  following(group: number): number {
    const next = this.next[group] ?? NONE;
    return next >= this.members.length ? NONE : next;
  }

  /** The group's enabling state, if it has one. */
  enablingState(group: number): { readonly state: State } | undefined {
    return this.enabling[group];
  }

  /** The call time of the group's first member; non-decreasing along every list. */
  firstCallTime(group: number): number {
    return this.operations[this.members[group]?.[0] ?? NONE]?.callTime ?? Infinity;
  }

  /** The group's next unused member, or `NONE` (never for a linked group). */
  head(group: number): number {
    return this.members[group]?.[this.used[group] ?? 0] ?? NONE;
  }

  /** The group of unknown operation `id`. */
  groupOf(id: number): number {
    const group = this.groupById.get(id);
    if (group === undefined) throw new RangeError(`operation ${id} is not an unknown outcome`);
    return group;
  }

  /** Marks the group's head used, unlinking the group when that was its last member. */
  take(group: number): void {
    const used = (this.used[group] ?? 0) + 1;
    this.used[group] = used;
    if (used === this.members[group]?.length) {
      const [before, after] = [this.prev[group] ?? NONE, this.next[group] ?? NONE];
      this.next[before] = after;
      this.prev[after] = before;
    }
  }

  /** Undoes the group's last `take` (calls must mirror `take` in reverse order). */
  giveBack(group: number): void {
    const used = this.used[group] ?? 0;
    if (used === this.members[group]?.length) {
      const [before, after] = [this.prev[group] ?? NONE, this.next[group] ?? NONE];
      this.next[before] = group;
      this.prev[after] = group;
    }
    this.used[group] = used - 1;
  }

  /** Links each list as a ring through its sentinel, groups in first-call order. */
  private linkLists(listKeys: readonly (number | undefined)[]): void {
    const sentinelOf = new Map<number | undefined, number>([[undefined, this.unguardedSentinel]]);
    const tails = new Map<number | undefined, number>([[undefined, this.unguardedSentinel]]);
    listKeys.forEach((key, group) => {
      if (!sentinelOf.has(key) && key !== undefined) {
        const sentinel = this.unguardedSentinel + sentinelOf.size;
        sentinelOf.set(key, sentinel);
        tails.set(key, sentinel);
        this.guardedSentinels.set(key, sentinel);
      }
      const tail = tails.get(key) ?? this.unguardedSentinel;
      this.next[tail] = group;
      this.prev[group] = tail;
      tails.set(key, group);
    });
    for (const [key, tail] of tails) {
      const sentinel = sentinelOf.get(key) ?? this.unguardedSentinel;
      this.next[tail] = sentinel;
      this.prev[sentinel] = tail;
    }
  }
}

/** Groups by input key (each operation alone without one), groups in first-call order. */
function groupMembers<Input>(
  operations: readonly GroupedOperation<Input>[],
  ids: readonly number[],
  inputKey: ((input: Input) => string) | undefined,
): (readonly number[])[] {
  const callTime = (id: number): number => operations[id]?.callTime ?? Infinity;
  const byCall = [...ids].sort((a, b) => callTime(a) - callTime(b) || a - b);
  const byKey = new Map<string, number[]>();
  for (const id of byCall) {
    const input = operations[id]?.input;
    if (input === undefined) throw new RangeError(`no operation ${id}`);
    const key = inputKey === undefined ? `#${id}` : inputKey(input);
    const group = byKey.get(key);
    if (group === undefined) byKey.set(key, [id]);
    else group.push(id);
  }
  // A Map iterates in insertion order, so the groups come out ordered by their first call.
  return [...byKey.values()];
}
