/** Parking an event the pipeline could not process, with its error, so nothing is lost. */
import { createHash } from 'node:crypto';
import type { DeadLetterStage, DeadLetterStore } from '../ports/dead-letter-store.js';
import type { IncomingEvent } from './incoming-event.js';
import type { Logger } from '../runtime/logger.js';

export function errorText(error: unknown): string {
  const inner = (error as { lastError?: unknown }).lastError ?? error;
  if (inner instanceof Error) return `${inner.name}${'code' in inner ? ` ${String((inner as { code: unknown }).code)}` : ''}: ${inner.message}`;
  return String(inner);
}

function scalarProperties(properties: Readonly<Record<string, unknown>> | undefined): Record<string, string | number | boolean> {
  const result: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(properties ?? {})) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') result[key] = value;
  }
  return result;
}

export interface DeadLetterInput {
  readonly stage: DeadLetterStage;
  readonly source: string;
  readonly event: IncomingEvent;
  /** A stable id (e.g. the chunk id) so that a redelivered poison event is parked once. */
  readonly id?: string;
  readonly dataset?: string;
  readonly fileId?: string;
  readonly error: unknown;
  readonly attempts: number;
  readonly at: string;
}

/** Write the dead letter; returns its id. */
export async function parkEvent(store: DeadLetterStore, log: Logger, input: DeadLetterInput): Promise<string> {
  const body = typeof input.event.body === 'string' ? input.event.body : JSON.stringify(input.event.body ?? null);
  const stableId = input.id ?? createHash('sha256').update(`${input.source}\n${body}`).digest('hex').slice(0, 32);
  const id = `${input.stage}-${stableId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  await store.add({
    id,
    stage: input.stage,
    source: input.source,
    dataset: input.dataset ?? null,
    fileId: input.fileId ?? null,
    partitionKey: input.event.partitionKey ?? null,
    body,
    properties: scalarProperties(input.event.properties),
    error: errorText(input.error),
    attempts: input.attempts,
    failedAt: input.at,
  });
  log.error(`${input.stage}: event dead-lettered after ${input.attempts} attempt(s): ${errorText(input.error)}`);
  return id;
}
