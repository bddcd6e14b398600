// A small seeded PRNG so that every fuzz failure reproduces (mulberry32, public domain).
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** mulberry32 with the helpers fuzz tests keep writing: integers and picks. */
export interface Prng {
  /** Float in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
}

export function prng(seed: number): Prng {
  const next = mulberry32(seed);
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

/** The seed for this run: FUZZ_SEED from the environment (to replay a failure), else `defaultSeed`. */
export function fuzzSeed(defaultSeed: number): number {
  const env = process.env['FUZZ_SEED'];
  return env !== undefined && /^\d+$/.test(env) ? Number(env) : defaultSeed;
}
