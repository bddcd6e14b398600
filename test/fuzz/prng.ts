// A small seeded PRNG (mulberry32) so that a failing fuzz case can be replayed: every fuzz test
// prints its seed, and FUZZ_SEED=<n> reruns with it.

export interface Prng {
  /** Float in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
}

export function mulberry32(seed: number): Prng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    next,
    int,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(items.length)] as T;
    },
  };
}

/** The seed for this run: FUZZ_SEED from the environment, else a fixed default. */
export function fuzzSeed(defaultSeed: number): number {
  const env = process.env['FUZZ_SEED'];
  return env !== undefined && /^\d+$/.test(env) ? Number(env) : defaultSeed;
}
