/**
 * Host-side conversion of binding data to the worker protocol's typed data. `@azure/functions`
 * turns it back into handler arguments and `context.triggerMetadata` with its own converters, so
 * the handler sees what it sees in Azure (JSON strings parsed, numeric strings in string
 * collections become numbers, keys camel-cased).
 */
import type { RpcTypedData } from './functions-core-injection.js';

/** One binding-data value the way the Functions host serialises it. */
export type BindingValue =
  | string
  | number
  | boolean
  | Date
  | readonly string[]
  | { readonly sint64: readonly number[] }
  | Record<string, unknown>
  | readonly unknown[]
  | null
  | undefined;

/** `DateTimeOffset` as .NET writes it to JSON: ISO with an explicit `+00:00` offset. */
export function toDotNetDateTimeOffset(date: Date): string {
  return date.toISOString().replace('Z', '+00:00');
}

/** A UTC `DateTime` as the Event Hubs extension passes it: ISO without a zone designator. */
export function toDotNetUtcDateTime(date: Date): string {
  return date.toISOString().replace('Z', '');
}

export function toRpcTypedData(value: BindingValue): RpcTypedData | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return { string: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { int: value } : { double: value };
  if (typeof value === 'boolean') return { json: JSON.stringify(value) };
  if (value instanceof Date) return { string: toDotNetDateTimeOffset(value) };
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    return { collectionString: { string: [...(value as string[])] } };
  }
  if (!Array.isArray(value) && 'sint64' in value && Array.isArray(value.sint64)) {
    return { collectionSint64: { sint64: [...(value.sint64 as number[])] } };
  }
  return { json: JSON.stringify(value) };
}

/**
 * Trigger metadata with PascalCase keys, as the host's binding data has them; the host leaves out
 * null values, and so do we.
 */
export function toRpcTriggerMetadata(bindingData: Record<string, BindingValue>): Record<string, RpcTypedData> {
  const result: Record<string, RpcTypedData> = {};
  for (const [key, value] of Object.entries(bindingData)) {
    const typed = toRpcTypedData(value);
    if (typed !== undefined) result[key] = typed;
  }
  return result;
}
