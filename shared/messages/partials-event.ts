/**
 * The `aggregates` hub's event: the window partials one chunk's new facts add for one dimension
 * key. Partitioned by dimension key so one window row is merged on one partition.
 */
import { z } from 'zod';
import { EtlError } from '../errors/etl-error.js';
import type { WindowPartial } from '../aggregates/window-partial.js';

export const PARTIALS_EVENT_TYPE = 'etl.partials';

export interface PartialsEvent {
  readonly type: typeof PARTIALS_EVENT_TYPE;
  readonly v: 1;
  /** The outbox message id: `<chunkId>/<part>/<dimensionKey>` (see `outboxDraftsFor`). */
  readonly id: string;
  readonly dataset: string;
  readonly dimensionKey: string;
  readonly partials: readonly WindowPartial[];
}

const summary = z.object({ count: z.number(), sum: z.number(), sumOfSquares: z.number(), min: z.number(), max: z.number() });
const sketch = z.object({
  alpha: z.number().positive().lt(1),
  zeroCount: z.number(),
  count: z.number(),
  min: z.number(),
  max: z.number(),
  buckets: z.record(z.string(), z.number()),
});
const partial = z.object({
  dataset: z.string(),
  windowStart: z.string(),
  windowMinutes: z.number().int().positive(),
  dimensions: z.record(z.string(), z.string()),
  dimensionKey: z.string(),
  count: z.number().int().min(0),
  measures: z.record(z.string(), summary),
  sketches: z.record(z.string(), sketch),
});
const schema = z.object({
  type: z.literal(PARTIALS_EVENT_TYPE),
  v: z.literal(1),
  id: z.string().min(1),
  dataset: z.string().min(1),
  dimensionKey: z.string(),
  partials: z.array(partial).min(1),
});

/** The ledger id of one partial inside a partials event. */
export function partialIdOf(eventId: string, windowStart: string): string {
  return `${eventId}@${windowStart}`;
}

export function parsePartialsEvent(body: unknown): PartialsEvent {
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new EtlError('MALFORMED_EVENT', `not a partials event: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data as PartialsEvent;
}
