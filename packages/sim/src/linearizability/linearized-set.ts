/**
 * The set of operations the search has linearized so far, as a bitset with an incrementally
 * maintained hash. The hash is the XOR of a per-operation mix, so adding and removing an
 * operation are both O(1) and the hash depends only on the set, never on the order of changes.
 */

/** A bitset over operation ids `0 .. size - 1` with an order-independent 32-bit hash. */
export class LinearizedSet {
  /** The bits, 32 operations per word; read by the memo cache, never written outside. */
  readonly words: Uint32Array;
  private hashValue = 0;
  private count = 0;

  /** An empty set able to hold operations `0 .. size - 1`. */
  constructor(size: number) {
    this.words = new Uint32Array(Math.max(1, Math.ceil(size / 32)));
  }

  /** The XOR of `mixOperationId` over the members. */
  get hash(): number {
    return this.hashValue;
  }

  /** How many members the set has. */
  get size(): number {
    return this.count;
  }

  /** Adds `id`, which must not be a member. */
  add(id: number): void {
    this.flip(id);
    this.count += 1;
  }

  /** Removes `id`, which must be a member. */
  remove(id: number): void {
    this.flip(id);
    this.count -= 1;
  }

  private flip(id: number): void {
    const word = id >>> 5;
    this.words[word] = (this.words[word] ?? 0) ^ (1 << (id & 31));
    this.hashValue = (this.hashValue ^ mixOperationId(id)) >>> 0;
  }
}

/** MurmurHash3's 32-bit finalizer over `id + 1`: spreads consecutive ids over all bits. */
export function mixOperationId(id: number): number {
  let hash = (id + 1) >>> 0;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
