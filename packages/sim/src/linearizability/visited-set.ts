/**
 * The search's memo cache (Lowe's improvement to Wing & Gong), with subsumption for optional
 * operations. A configuration is (completed operations linearized, unknown-outcome operations
 * linearized, model state). It is skipped when a held configuration has the same completed set
 * and state and a subset of its unknown ones: that one has every option this one has (unknown
 * operations never have to precede anything), so it already covers this one.
 */

const NONE = -1;
/** Map keys stay small integers (V8 Smis) so the bucket map stays fast. */
const BUCKET_MASK = 0x3fffffff;
const INITIAL_CAPACITY = 256;
/**
 * Members a family keeps; a new one beyond this evicts the oldest. The memo only prunes, so an
 * evicted entry costs repeated work, never a wrong answer, and this bounds the subset scans,
 * which otherwise dominate when many unknown operations give long antichains.
 */
const FAMILY_MEMBERS_MAX = 32;

/**
 * A set of configurations. Configurations with equal (completed set, state) form a family whose
 * unknown sets are kept as an antichain: a new member removes the members it is a subset of.
 */
export class VisitedSet<State> {
  private readonly heads = new Map<number, number>();
  /** Families: completed bits in `familyBits`, state, next family in the bucket, first member. */
  private familyBits: Uint32Array;
  private readonly familyStates: State[] = [];
  private familyNext: Int32Array;
  private familyFirst: Int32Array;
  private familyCount = 0;
  /** Members: unknown bits in `memberBits`, next member of the same family. */
  private memberBits: Uint32Array;
  private memberNext: Int32Array;
  private memberCount = 0;

  /**
   * @param exactWords the length of every completed-set bitset added.
   * @param optionalWords the length of every unknown-set bitset added.
   * @param equals state equality, consistent with the state hashes passed to `add`.
   */
  constructor(
    private readonly exactWords: number,
    private readonly optionalWords: number,
    private readonly equals: (a: State, b: State) => boolean,
  ) {
    this.familyBits = new Uint32Array(INITIAL_CAPACITY * exactWords);
    this.familyNext = new Int32Array(INITIAL_CAPACITY);
    this.familyFirst = new Int32Array(INITIAL_CAPACITY);
    this.memberBits = new Uint32Array(INITIAL_CAPACITY * optionalWords);
    this.memberNext = new Int32Array(INITIAL_CAPACITY);
  }

  /** How many configurations were ever added (covered members dropped later still count). */
  get size(): number {
    return this.memberCount;
  }

  /**
   * Adds the configuration and returns `true`, or returns `false` when a held configuration
   * covers it (same `exact` bits and state, `optional` bits a subset). Bits are copied.
   */
  add(
    exact: Uint32Array,
    exactHash: number,
    optional: Uint32Array,
    state: State,
    stateHash: number,
  ): boolean {
    const bucket = (exactHash ^ Math.imul(stateHash, 0x9e3779b1)) & BUCKET_MASK;
    const head = this.heads.get(bucket) ?? NONE;
    let family = head;
    while (family !== NONE && !this.isFamily(family, exact, state)) {
      family = this.familyNext[family] ?? NONE;
    }
    if (family === NONE) {
      family = this.addFamily(exact, state, head);
      this.heads.set(bucket, family);
    } else if (!this.pruneFamily(family, optional)) {
      return false;
    }
    this.addMember(family, optional);
    return true;
  }

  private isFamily(family: number, exact: Uint32Array, state: State): boolean {
    const offset = family * this.exactWords;
    for (let word = 0; word < this.exactWords; word += 1) {
      if (this.familyBits[offset + word] !== exact[word]) return false;
    }
    return this.equals(this.familyStates[family] as State, state);
  }

  /**
   * `false` if a member is a subset of `optional`; otherwise unlinks the members that are
   * supersets of it (the antichain has no member inside another, so both never happen at once)
   * and, when the family is full, its oldest member (the last: members are prepended).
   */
  private pruneFamily(family: number, optional: Uint32Array): boolean {
    let previous = NONE;
    let beforePrevious = NONE;
    let kept = 0;
    let member = this.familyFirst[family] ?? NONE;
    while (member !== NONE) {
      const next = this.memberNext[member] ?? NONE;
      if (this.isSubset(member, optional, true)) return false;
      if (this.isSubset(member, optional, false)) {
        this.unlinkMember(family, previous, next);
      } else {
        [beforePrevious, previous, kept] = [previous, member, kept + 1];
      }
      member = next;
    }
    if (kept >= FAMILY_MEMBERS_MAX) this.unlinkMember(family, beforePrevious, NONE);
    return true;
  }

  private unlinkMember(family: number, previous: number, next: number): void {
    if (previous === NONE) this.familyFirst[family] = next;
    else this.memberNext[previous] = next;
  }

  /** Whether the member's bits are inside `optional` (or, reversed, contain it). */
  private isSubset(member: number, optional: Uint32Array, memberInside: boolean): boolean {
    const offset = member * this.optionalWords;
    for (let word = 0; word < this.optionalWords; word += 1) {
      const held = this.memberBits[offset + word] ?? 0;
      const given = optional[word] ?? 0;
      if ((memberInside ? held & ~given : given & ~held) !== 0) return false;
    }
    return true;
  }

  private addFamily(exact: Uint32Array, state: State, nextInBucket: number): number {
    const family = this.familyCount;
    if (family === this.familyNext.length) {
      this.familyBits = grown(this.familyBits, 2 * this.familyBits.length);
      this.familyNext = grown(this.familyNext, 2 * family);
      this.familyFirst = grown(this.familyFirst, 2 * family);
    }
    this.familyBits.set(exact.subarray(0, this.exactWords), family * this.exactWords);
    this.familyStates.push(state);
    this.familyNext[family] = nextInBucket;
    this.familyFirst[family] = NONE;
    this.familyCount += 1;
    return family;
  }

  private addMember(family: number, optional: Uint32Array): void {
    const member = this.memberCount;
    if (member === this.memberNext.length) {
      this.memberBits = grown(this.memberBits, 2 * this.memberBits.length);
      this.memberNext = grown(this.memberNext, 2 * member);
    }
    this.memberBits.set(optional.subarray(0, this.optionalWords), member * this.optionalWords);
    this.memberNext[member] = this.familyFirst[family] ?? NONE;
    this.familyFirst[family] = member;
    this.memberCount += 1;
  }
}

function grown<T extends Uint32Array | Int32Array>(array: T, length: number): T {
  const copy = new (array.constructor as new (length: number) => T)(length);
  copy.set(array);
  return copy;
}
