/**
 * A small, fast, seeded pseudo-random generator (mulberry32). The generator and property tests use
 * it so that every run with the same seed produces the same data. Not for anything secret.
 */
export interface SeededRandom {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, bound). */
  int(bound: number): number;
  /** Normally distributed (Box–Muller), for realistic measure values. */
  normal(mean: number, stddev: number): number;
}

export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  // Box–Muller makes normals in pairs; the second one is kept for the next call.
  let spare = NaN;
  return {
    next,
    int: (bound) => Math.floor(next() * bound),
    normal: (mean, stddev) => {
      if (!Number.isNaN(spare)) {
        const z = spare;
        spare = NaN;
        return mean + stddev * z;
      }
      const radius = Math.sqrt(-2 * Math.log(1 - next())); // 1 - next() is in (0, 1]: log(0) would be -Infinity
      const angle = 2 * Math.PI * next();
      spare = radius * Math.sin(angle);
      return mean + stddev * radius * Math.cos(angle);
    },
  };
}
