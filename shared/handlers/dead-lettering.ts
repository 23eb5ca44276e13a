/** Parking an event the pipeline could not process, with its error, so nothing is lost. */
import { createHash } from 'node:crypto';
import type { DeadLetterStage, DeadLetterStore, ParkedLetter } from '../ports/dead-letter-store.js';
import type { IncomingEvent } from './incoming-event.js';
import type { Logger } from '../runtime/logger.js';

export function errorText(error: unknown): string {
  const inner = (error as { lastError?: unknown }).lastError ?? error;
  if (inner instanceof Error)
    return `${inner.name}${'code' in inner ? ` ${String((inner as { code: unknown }).code)}` : ''}: ${inner.message}`;
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

/** Longest id text kept whole; a longer one keeps its start and gets a hash of the whole. */
const MAX_ID_TEXT = 160;

/**
 * A stable id as dead-letter id text, one to one: letters, digits, `_` and `-` stay, every other
 * byte becomes `.` and two hex digits (`Berlin Mitte` → `Berlin.20Mitte`, `Berlin_Mitte` stays), so
 * two ids never share a letter. Ids that would pass MAX_ID_TEXT end in `~` and a SHA-256 prefix.
 */
export function deadLetterIdText(stableId: string): string {
  let text = '';
  for (const byte of Buffer.from(stableId, 'utf8')) {
    const isKept =
      (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x5f || byte === 0x2d;
    text += isKept ? String.fromCharCode(byte) : `.${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (text.length <= MAX_ID_TEXT) return text;
  return `${text.slice(0, MAX_ID_TEXT - 33)}~${createHash('sha256').update(stableId, 'utf8').digest('hex').slice(0, 32)}`;
}

/** Write the dead letter; returns where it went, and whether the event was not waiting already. */
export async function parkEvent(store: DeadLetterStore, log: Logger, input: DeadLetterInput): Promise<ParkedLetter> {
  const body = typeof input.event.body === 'string' ? input.event.body : JSON.stringify(input.event.body ?? null);
  const stableId = input.id ?? createHash('sha256').update(`${input.source}\n${body}`).digest('hex').slice(0, 32);
  const id = `${input.stage}-${deadLetterIdText(stableId)}`;
  const parked = await store.add({
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
  log.error(`${input.stage}: event dead-lettered as ${parked.id} after ${input.attempts} attempt(s): ${errorText(input.error)}`);
  return parked;
}
