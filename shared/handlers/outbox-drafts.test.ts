/**
 * `outboxDraftsFor`: the partials of a load, one message per dimension key, cut into parts when a
 * dimension's windows would not fit in one event (a transaction can span days of event time).
 */
import { describe, expect, it } from 'vitest';
import { iotEventsDataset } from '../datasets/iot-events.js';
import { CHUNK_EVENT_TYPE, type ChunkEvent } from '../messages/chunk-event.js';
import type { PartialsEvent } from '../messages/partials-event.js';
import { factsOfChunk } from './transform-handler.js';
import { MAX_OUTBOX_BODY_BYTES, outboxDraftsFor } from './outbox-drafts.js';

/** `rows` valid IoT rows over two device types, one event per minute from midnight. */
function spreadChunk(rows: number): ChunkEvent {
  return {
    type: CHUNK_EVENT_TYPE,
    v: 1,
    dataset: iotEventsDataset.name,
    datasetVersion: iotEventsDataset.version,
    fileId: 'f',
    blobName: 'iot_events/f.csv',
    chunkIndex: 0,
    rowNumbers: Array.from({ length: rows }, (_, index) => index + 1),
    rows: Array.from({ length: rows }, (_, index) => [
      `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
      `device-${String(index % 7).padStart(3, '0')}`,
      index % 2 === 0 ? 'pressure' : 'light',
      new Date(Date.UTC(2026, 10, 20) + index * 60_000).toISOString(),
      String(10 + (index % 90)),
      '1.5',
      'normal',
      '',
      '',
    ]),
  };
}

describe('outboxDraftsFor', () => {
  const facts = factsOfChunk(iotEventsDataset, spreadChunk(600));

  it('puts one dimension in one message while it fits', () => {
    const drafts = outboxDraftsFor(iotEventsDataset, 'f/0', facts, 'aggregates');
    expect(drafts.map((draft) => draft.id).sort()).toEqual(['f/0/0/light', 'f/0/0/pressure']);
    for (const draft of drafts) expect(Buffer.byteLength(draft.body)).toBeLessThan(MAX_OUTBOX_BODY_BYTES);
  });

  it('cuts a dimension into parts under the size limit, with the same windows in the same order', () => {
    const whole = new Map(
      outboxDraftsFor(iotEventsDataset, 'f/0', facts, 'aggregates').map((draft) => {
        const event = JSON.parse(draft.body) as PartialsEvent;
        return [event.dimensionKey, event.partials];
      }),
    );
    const limit = 8 * 1024;
    const parts = outboxDraftsFor(iotEventsDataset, 'f/0', facts, 'aggregates', limit);
    expect(parts.length).toBeGreaterThan(4);
    const rejoined = new Map<string, unknown[]>();
    const partsSeen = new Map<string, number>();
    for (const draft of parts) {
      expect(Buffer.byteLength(draft.body)).toBeLessThanOrEqual(limit);
      const event = JSON.parse(draft.body) as PartialsEvent;
      const previous = rejoined.get(event.dimensionKey) ?? [];
      // Parts of a dimension are numbered from 0, in order; the id carries the number.
      const part = partsSeen.get(event.dimensionKey) ?? 0;
      partsSeen.set(event.dimensionKey, part + 1);
      expect(draft.id).toBe(`f/0/${part}/${event.dimensionKey}`);
      expect(event.id).toBe(draft.id);
      expect(draft.partitionKey).toBe(event.dimensionKey);
      rejoined.set(event.dimensionKey, [...previous, ...event.partials]);
    }
    expect(rejoined).toEqual(whole);
    expect(Math.min(...partsSeen.values())).toBeGreaterThan(1);
    // The same facts give the same messages, so a retried load writes the same ids.
    expect(outboxDraftsFor(iotEventsDataset, 'f/0', facts, 'aggregates', limit)).toEqual(parts);
  });
});
