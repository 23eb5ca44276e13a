/** Checks of command-line values shared by the CLIs (`npm start`, the bench, the load test, scale:compare). */

/** `text` if it is one of `choices`; otherwise an error naming the option and its choices. */
export function oneOf<T extends string>(option: string, choices: readonly T[], text: string): T {
  if (!(choices as readonly string[]).includes(text)) throw new Error(`--${option} must be one of ${choices.join(', ')}, got '${text}'`);
  return text as T;
}

/** Host processes per function: a count for every function, and counts for named ones. */
export interface InstanceCounts {
  readonly each: number;
  readonly perFunction: Readonly<Record<string, number>>;
}

/** Most host processes `--instances` asks for per function: more on one machine is surely a typo. */
export const MAX_INSTANCES_PER_FUNCTION = 32;

/**
 * `--instances`: a count (`2`), counts for named functions (`transform=2`), or both
 * (`1,transform=2,aggregate=1`). Functions not named get the count, 1 when none is given.
 */
export function parseInstances(text: string): InstanceCounts {
  let each: number | undefined;
  const perFunction = new Map<string, number>();
  const count = (value: string, item: string): number => {
    const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(parsed) || parsed < 1) throw new Error(`--instances: '${item}' needs a positive whole count`);
    if (parsed > MAX_INSTANCES_PER_FUNCTION)
      throw new Error(`--instances: '${item}' asks for more than ${MAX_INSTANCES_PER_FUNCTION} processes`);
    return parsed;
  };
  for (const item of text.split(',').map((part) => part.trim())) {
    if (item === '') throw new Error(`--instances '${text}' has an empty item (a stray comma?)`);
    const named = /^([A-Za-z][\w-]*)=(.*)$/.exec(item);
    if (named) {
      const name = named[1]!;
      const value = named[2]!;
      if (perFunction.has(name)) throw new Error(`--instances names '${name}' twice`);
      perFunction.set(name, count(value, item));
    } else {
      if (each !== undefined) throw new Error(`--instances has two counts for every function ('${each}' and '${item}')`);
      each = count(item, item);
    }
  }
  return { each: each ?? 1, perFunction: Object.fromEntries(perFunction) };
}

/** How many host processes run what, for reports: '1 process(es) per function (transform 2)', or under 'shared' '2 host process(es), every function in each'. */
export function describeInstances(instances: InstanceCounts, placement: 'shared' | 'per-function'): string {
  if (placement === 'shared') return `${instances.each} host process(es), every function in each`;
  const named = Object.entries(instances.perFunction).map(([name, count]) => `${name} ${count}`);
  return `${instances.each} process(es) per function${named.length > 0 ? ` (${named.join(', ')})` : ''}`;
}
