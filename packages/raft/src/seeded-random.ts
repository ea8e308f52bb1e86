/**
 * Randomness enters the core only through {@link RandomSource}, so a seed replays a run exactly.
 * {@link SeededRandom} is a small, fast, well-distributed PRNG (sfc32 seeded by splitmix32).
 */

/** A source of random integers. */
export interface RandomSource {
  /** A uniformly distributed integer in `[0, maxExclusive)`. */
  nextInt(maxExclusive: number): number;
}

/**
 * A deterministic PRNG: the same seed gives the same sequence on every platform.
 *
 * @example
 * const random = new SeededRandom(42);
 * const roll = random.nextInt(6); // 0..5
 */
export class SeededRandom implements RandomSource {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let state = seed >>> 0;
    const next = (): number => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  nextInt(maxExclusive: number): number {
    if (!(maxExclusive >= 1))
      throw new RangeError(`nextInt needs a bound >= 1, got ${maxExclusive}`);
    return Math.floor((this.nextUint32() / 0x1_0000_0000) * maxExclusive);
  }

  /** A float in `[0, 1)`. */
  nextFloat(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.nextFloat() < p;
  }
}
