/** Checks of command-line values shared by the CLIs (`npm start`, the bench, the load test, scale:compare). */

/** `text` if it is one of `choices`; otherwise an error naming the option and its choices. */
export function oneOf<T extends string>(option: string, choices: readonly T[], text: string): T {
  if (!(choices as readonly string[]).includes(text)) throw new Error(`--${option} must be one of ${choices.join(', ')}, got '${text}'`);
  return text as T;
}
