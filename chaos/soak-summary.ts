/**
 * What a soak run's samples say, as numbers: per process the resident memory at the start and the
 * end and its slope (least squares, after a warm-up), the lag of each hub and the files' latency as
 * percentiles. Pure, so the arithmetic is tested apart from the run.
 */

export interface RssSample {
  /** Seconds since the start of the steady load. */
  readonly atSeconds: number;
  /** Resident set size in MiB. */
  readonly rssMiB: number;
}

export interface ProcessMemory {
  readonly role: string;
  readonly startMiB: number;
  readonly endMiB: number;
  readonly maxMiB: number;
  /** MiB per hour over the samples after the warm-up; undefined with fewer than two. */
  readonly slopeMiBPerHour: number | undefined;
}

/** Least-squares slope of y over x; undefined with fewer than two distinct x. */
export function leastSquaresSlope(points: readonly { x: number; y: number }[]): number | undefined {
  if (points.length < 2) return undefined;
  const meanX = points.reduce((sum, point) => sum + point.x, 0) / points.length;
  const meanY = points.reduce((sum, point) => sum + point.y, 0) / points.length;
  let covariance = 0;
  let variance = 0;
  for (const point of points) {
    covariance += (point.x - meanX) * (point.y - meanY);
    variance += (point.x - meanX) ** 2;
  }
  return variance === 0 ? undefined : covariance / variance;
}

/** The q-quantile (0..1) by nearest rank; undefined for no values. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function processMemory(role: string, samples: readonly RssSample[], warmUpSeconds: number): ProcessMemory | undefined {
  if (samples.length === 0) return undefined;
  const steady = samples.filter((sample) => sample.atSeconds >= warmUpSeconds);
  const slopePerSecond = leastSquaresSlope(steady.map((sample) => ({ x: sample.atSeconds, y: sample.rssMiB })));
  return {
    role,
    startMiB: samples[0]!.rssMiB,
    endMiB: samples.at(-1)!.rssMiB,
    maxMiB: Math.max(...samples.map((sample) => sample.rssMiB)),
    slopeMiBPerHour: slopePerSecond === undefined ? undefined : slopePerSecond * 3600,
  };
}

export interface Spread {
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

export function spread(values: readonly number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  return {
    mean: values.reduce((sum, value) => sum + value, 0) / values.length,
    p50: quantile(values, 0.5)!,
    p95: quantile(values, 0.95)!,
    max: Math.max(...values),
  };
}
