/**
 * Workloads: when files land and how big they are. Azure-sized profiles (burst, steady, diurnal,
 * spike) are given in gigabytes; the load-test profiles the local runs used are reused as they are
 * (load-tests/load-profiles.ts) so a calibration run offers the simulation exactly what the
 * measured run offered the stack. Random arrivals come from the seeded generator: same seed, same files.
 */
import { planUploads, type LoadProfileName, type ProfileOptions } from '../../load-tests/load-profiles.js';
import { seededRandom } from '../../local/sample-data/seeded-random.js';

export interface SimulatedFile {
  readonly id: number;
  readonly name: string;
  /** Seconds after the start when the blob is in `landing` (upload finished). */
  readonly arriveAt: number;
  readonly rows: number;
}

export interface Workload {
  readonly profile: string;
  readonly description: string;
  readonly files: readonly SimulatedFile[];
  /** How long the offered load lasts (the simulation runs on until the backlog is gone). */
  readonly offeredSeconds: number;
}

export const WORKLOAD_PROFILES = ['burst', 'steady', 'diurnal', 'spike'] as const;
export type WorkloadProfile = (typeof WORKLOAD_PROFILES)[number];

export interface WorkloadOptions {
  readonly profile: WorkloadProfile;
  /** burst: how many files land at once (default 50). */
  readonly files?: number;
  /** burst: total size (default 50 GB). steady, diurnal, spike: the daily volume (10, 1000, 100 GB). */
  readonly gigabytes?: number;
  /** Size of each file (burst: gigabytes / files; steady 100 MB, diurnal 1000 MB, spike 100 MB). */
  readonly fileMegabytes?: number;
  /** How long the load is offered (steady 6 h, diurnal 24 h, spike 2 h; burst: at once). */
  readonly hours?: number;
  /** diurnal: peak above the mean, as a fraction of it (default 0.8: 1.8× at the peak, 0.2× at night). */
  readonly amplitude?: number;
  /** spike: how many times the base rate, for how long, and when (default 10×, 10 min, after 1 h). */
  readonly spikeFactor?: number;
  readonly spikeMinutes?: number;
  readonly spikeAtHours?: number;
  readonly seed?: number;
  /** CSV bytes per row, to turn sizes into rows. */
  readonly csvBytesPerRow: number;
}

const GB = 1e9;
const MB = 1e6;
const DAY = 86_400;

export function planWorkload(options: WorkloadOptions): Workload {
  const rowsOf = (bytes: number) => Math.max(1, Math.round(bytes / options.csvBytesPerRow));
  const positive = (name: string, value: number) => {
    if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be a positive number, got ${value}`);
    return value;
  };
  switch (options.profile) {
    case 'burst': {
      const files = positive('files', options.files ?? 50);
      const gigabytes = positive('gigabytes', options.gigabytes ?? 50);
      const bytes = options.fileMegabytes !== undefined ? positive('fileMegabytes', options.fileMegabytes) * MB : (gigabytes * GB) / files;
      return {
        profile: 'burst',
        description: `${files} files of ${formatBytes(bytes)} landing at once (${formatBytes(files * bytes)})`,
        files: Array.from({ length: files }, (_, index) => ({
          id: index,
          name: `burst-${index + 1}.csv`,
          arriveAt: 0,
          rows: rowsOf(bytes),
        })),
        offeredSeconds: 0,
      };
    }
    case 'steady': {
      const perDay = positive('gigabytes', options.gigabytes ?? 10) * GB;
      const bytes = positive('fileMegabytes', options.fileMegabytes ?? 100) * MB;
      const seconds = positive('hours', options.hours ?? 6) * 3600;
      const interval = (bytes / perDay) * DAY;
      const count = Math.max(1, Math.floor(seconds / interval));
      return {
        profile: 'steady',
        description: `${formatBytes(perDay)} a day as one ${formatBytes(bytes)} file every ${formatDuration(interval)}, for ${formatDuration(seconds)}`,
        files: Array.from({ length: count }, (_, index) => ({
          id: index,
          name: `steady-${index + 1}.csv`,
          arriveAt: index * interval,
          rows: rowsOf(bytes),
        })),
        offeredSeconds: seconds,
      };
    }
    case 'diurnal': {
      const perDay = positive('gigabytes', options.gigabytes ?? 1000) * GB;
      const bytes = positive('fileMegabytes', options.fileMegabytes ?? 1000) * MB;
      const seconds = positive('hours', options.hours ?? 24) * 3600;
      const amplitude = options.amplitude ?? 0.8;
      if (!(amplitude >= 0 && amplitude < 1)) throw new RangeError(`amplitude must be in [0, 1), got ${amplitude}`);
      // Files per second, lowest at 04:00 and highest at 16:00.
      const meanRate = perDay / bytes / DAY;
      const rate = (t: number) => meanRate * (1 - amplitude * Math.cos((2 * Math.PI * (t - 4 * 3600)) / DAY));
      const files = poissonArrivals(rate, meanRate * (1 + amplitude), seconds, options.seed ?? 7).map((arriveAt, index) => ({
        id: index,
        name: `diurnal-${index + 1}.csv`,
        arriveAt,
        rows: rowsOf(bytes),
      }));
      return {
        profile: 'diurnal',
        description: `${formatBytes(perDay)} a day in ${formatBytes(bytes)} files, arriving at random (seeded) at a rate from ${(1 - amplitude).toFixed(1)}× the mean at 04:00 to ${(1 + amplitude).toFixed(1)}× at 16:00, for ${formatDuration(seconds)}`,
        files,
        offeredSeconds: seconds,
      };
    }
    case 'spike': {
      const perDay = positive('gigabytes', options.gigabytes ?? 100) * GB;
      const bytes = positive('fileMegabytes', options.fileMegabytes ?? 100) * MB;
      const seconds = positive('hours', options.hours ?? 2) * 3600;
      const factor = positive('spikeFactor', options.spikeFactor ?? 10);
      const spikeStart = (options.spikeAtHours ?? 1) * 3600;
      const spikeEnd = spikeStart + positive('spikeMinutes', options.spikeMinutes ?? 10) * 60;
      const baseRate = perDay / bytes / DAY;
      const rate = (t: number) => (t >= spikeStart && t < spikeEnd ? baseRate * factor : baseRate);
      const files = poissonArrivals(rate, baseRate * Math.max(1, factor), seconds, options.seed ?? 7).map((arriveAt, index) => ({
        id: index,
        name: `spike-${index + 1}.csv`,
        arriveAt,
        rows: rowsOf(bytes),
      }));
      return {
        profile: 'spike',
        description: `${formatBytes(perDay)} a day in ${formatBytes(bytes)} files (random, seeded), ${factor}× that rate for ${formatDuration(spikeEnd - spikeStart)} from ${formatDuration(spikeStart)}, for ${formatDuration(seconds)}`,
        files,
        offeredSeconds: seconds,
      };
    }
  }
}

/** A load-test profile's uploads as simulated files: what `npm run load-test -- --profile …` offers the stack. */
export function loadTestWorkload(profile: LoadProfileName, options: Omit<ProfileOptions, 'runId'>): Workload {
  const uploads = planUploads(profile, { ...options, runId: 'simulated' });
  return {
    profile,
    description: `load-test profile ${profile}: ${uploads.length} files, ${uploads.reduce((sum, upload) => sum + upload.rows, 0)} rows`,
    files: uploads.map((upload, index) => ({ id: index, name: upload.blobName, arriveAt: upload.atSeconds, rows: upload.rows })),
    offeredSeconds: Math.max(...uploads.map((upload) => upload.atSeconds)),
  };
}

/** Arrival times of a Poisson process with a time-varying rate (thinning), deterministic for a seed. */
export function poissonArrivals(rate: (t: number) => number, maxRate: number, seconds: number, seed: number): number[] {
  const random = seededRandom(seed);
  const arrivals: number[] = [];
  if (!(maxRate > 0)) return arrivals;
  let t = 0;
  for (;;) {
    t += -Math.log(1 - random.next()) / maxRate;
    if (t >= seconds) return arrivals;
    if (random.next() * maxRate < rate(t)) arrivals.push(t);
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1e12) return `${+(bytes / 1e12).toFixed(2)} TB`;
  if (bytes >= GB) return `${+(bytes / GB).toFixed(2)} GB`;
  return `${+(bytes / MB).toFixed(1)} MB`;
}

export function formatDuration(seconds: number): string {
  if (seconds >= 3600) return `${+(seconds / 3600).toFixed(2)} h`;
  if (seconds >= 60) return `${+(seconds / 60).toFixed(1)} min`;
  return `${+seconds.toFixed(1)} s`;
}
