/**
 * The app's functions in the groups that scale together. One catalogue serves every place that
 * splits the app: on AKS each group is one Deployment (infra/), on Flex Consumption each group
 * scales on instances of its own, and the local stack's 'per-function' placement gives each
 * triggered group host processes of its own. Every function the app registers is in exactly one
 * group or runs on every instance; a test checks the catalogue against the registrations.
 */

export const FUNCTION_GROUPS = {
  extract: ['extract'],
  transform: ['transform'],
  aggregate: ['aggregate'],
  // The status API and the timers (outbox relay, extract sweep): one always-on instance is enough for
  // them, while the triggered groups may scale to zero.
  status: ['files', 'deadletters', 'summary', 'outboxRelay', 'extractSweep'],
} as const satisfies Readonly<Record<string, readonly string[]>>;

export type FunctionGroup = keyof typeof FUNCTION_GROUPS;

export const FUNCTION_GROUP_NAMES = Object.keys(FUNCTION_GROUPS) as readonly FunctionGroup[];

/** The group that runs without a trigger to scale on: the HTTP and timer functions. */
export const ALWAYS_ON_GROUP = 'status' satisfies FunctionGroup;

/** The groups a trigger scales (everything but the always-on group). */
export const TRIGGERED_GROUPS = FUNCTION_GROUP_NAMES.filter((group) => group !== ALWAYS_ON_GROUP);

/** Functions every instance runs: its own metrics (`/api/metrics`) and a health probe. */
export const PER_INSTANCE_FUNCTIONS: readonly string[] = ['metrics', 'health'];
