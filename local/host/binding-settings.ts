/**
 * Settings a binding refers to, resolved from the environment the way the Functions host does:
 * `%NAME%` binding expressions and `connection` names (with the `AzureWebJobs` prefix fallback).
 */
import { HostError } from './host-error.js';

export type Environment = Readonly<Record<string, string | undefined>>;

/** Replaces every `%NAME%` in a binding value with the app setting NAME; a missing one is an error. */
export function resolveBindingExpression(value: string, env: Environment = process.env): string {
  return value.replace(/%([^%]+)%/g, (_whole, name: string) => {
    const setting = env[name];
    if (setting === undefined || setting === '') {
      throw new HostError('INVALID_CONFIG', `Binding expression %${name}% refers to an app setting that is not set.`);
    }
    return setting;
  });
}

/**
 * The connection string behind a binding's `connection` (default AzureWebJobsStorage). The host
 * also accepts `AzureWebJobs<name>`; identity-based connections (`<name>__…`) need Azure and are
 * not supported locally.
 */
export function resolveConnectionString(connection: string | undefined, fallback: string, env: Environment = process.env): string {
  const name = connection === undefined || connection === '' ? fallback : resolveBindingExpression(connection, env);
  const value = env[name] ?? env[`AzureWebJobs${name}`];
  if (value === undefined || value === '') {
    throw new HostError(
      'INVALID_CONFIG',
      `Connection "${name}" is not set: put a connection string into the app setting ${name} (identity-based connections need Azure).`,
    );
  }
  return value;
}
