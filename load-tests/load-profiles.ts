/**
 * Load profiles: when files land in `landing/` and how big they are. A profile turns a few numbers
 * into an upload plan, the same plan for the same options, so that runs compare.
 */

export interface PlannedUpload {
  /** Seconds after the start of the run. */
  readonly atSeconds: number;
  /** Data rows of the generated IoT file. */
  readonly rows: number;
  /** Blob name under `landing/`. */
  readonly blobName: string;
  /** Generator seed: one per file, so files do not repeat each other's event ids. */
  readonly seed: number;
}

export interface ProfileOptions {
  /** How many files. */
  readonly files: number;
  /** Rows per file (`ramp`: of the last, biggest file). */
  readonly rows: number;
  /** Seconds between uploads (`steady`, `ramp`); `burst` ignores it. */
  readonly intervalSeconds: number;
  /** Names the run's blobs, so that runs against one stack do not collide. */
  readonly runId: string;
}

type Planner = (options: ProfileOptions, file: number) => Pick<PlannedUpload, 'atSeconds' | 'rows'>;

export const LOAD_PROFILES = {
  burst: {
    description: 'every file at once: parallel jobs competing for the pipeline',
    plan: ((options) => ({ atSeconds: 0, rows: options.rows })) satisfies Planner,
  },
  steady: {
    description: 'one file every interval: a constant offered load',
    plan: ((options, file) => ({ atSeconds: file * options.intervalSeconds, rows: options.rows })) satisfies Planner,
  },
  ramp: {
    description: 'one file every interval, each bigger than the last: an offered load that climbs',
    plan: ((options, file) => ({
      atSeconds: file * options.intervalSeconds,
      rows: Math.max(1, Math.round((options.rows * (file + 1)) / options.files)),
    })) satisfies Planner,
  },
} as const;

export type LoadProfileName = keyof typeof LOAD_PROFILES;
export const LOAD_PROFILE_NAMES = Object.keys(LOAD_PROFILES) as LoadProfileName[];

export function isLoadProfileName(name: string): name is LoadProfileName {
  return Object.hasOwn(LOAD_PROFILES, name);
}

/** The uploads of one run, in upload order. Throws on options no run could use. */
export function planUploads(profile: LoadProfileName, options: ProfileOptions): PlannedUpload[] {
  if (!Number.isSafeInteger(options.files) || options.files < 1) throw new Error(`files must be a positive integer, got ${options.files}`);
  if (!Number.isSafeInteger(options.rows) || options.rows < 1) throw new Error(`rows must be a positive integer, got ${options.rows}`);
  if (!Number.isFinite(options.intervalSeconds) || options.intervalSeconds < 0) {
    throw new Error(`the interval must be zero or more seconds, got ${options.intervalSeconds}`);
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(options.runId))
    throw new Error(`the run id may hold letters, digits, '.', '_' and '-' only, got '${options.runId}'`);
  const width = String(options.files).length;
  return Array.from({ length: options.files }, (_, file) => ({
    ...LOAD_PROFILES[profile].plan(options, file),
    blobName: `iot_events/load-${options.runId}-${String(file + 1).padStart(width, '0')}.csv`,
    seed: 1000 + file,
  }));
}
