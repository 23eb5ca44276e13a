import { describe, expect, it } from 'vitest';
import { hubUnprocessedEvents } from '../../local/scaler/partition-lag.js';
import { calibratedValues, withInput } from '../calibration.js';
import { EventQueue } from '../engine/event-queue.js';
import { AzureEnvironment, sqlRowsPerSecond } from '../model/azure-environment.js';
import { SimulatedHub, balancePartitions } from '../model/event-hub.js';
import { PipelineModel, splitIntoTransactions } from '../model/pipeline-model.js';

const owner = (id: string) => ({ id });

describe('partition ownership', () => {
  it('gives a new owner its share from the busiest owners, moving as few partitions as it can', () => {
    const hub = new SimulatedHub('records', 'transform', 8);
    const [a, b, c] = [owner('a'), owner('b'), owner('c')];
    for (const partition of hub.partitions) partition.owner = a;
    const moves = balancePartitions(hub.partitions, [a, b]);
    expect(moves).toHaveLength(4);
    for (const { partition, to } of moves) partition.owner = to;
    const third = balancePartitions(hub.partitions, [a, b, c]);
    for (const { partition, to } of third) partition.owner = to;
    const counts = [a, b, c].map((who) => hub.partitions.filter((partition) => partition.owner === who).length).sort();
    expect(counts).toEqual([2, 3, 3]);
    expect(third).toHaveLength(2);
    expect(balancePartitions(hub.partitions, [a, b, c])).toEqual([]);
  });

  it('hands the scalers the positions they read on Azure', () => {
    const hub = new SimulatedHub('records', 'transform', 2);
    for (let index = 0; index < 5; index += 1) hub.partitions[0]!.append(10, 0, 100);
    hub.partitions[0]!.checkpointAt(1);
    hub.partitions[1]!.append(10, 0, 100);
    // Partition 0: events 0–4, checkpoint at 1 → 3 left; partition 1: one event, no checkpoint → 1.
    expect(hubUnprocessedEvents(hub.positions(), 'functions')).toBe(4);
    expect(hubUnprocessedEvents(hub.positions(), 'keda')).toBe(4);
    expect(hub.backlog).toBe(4);
  });
});

describe('transactions', () => {
  it("cuts a batch into transactions with the app's own plan: about equal sizes, none above the limit", () => {
    const events = Array.from({ length: 10 }, (_, index) => ({ sequenceNumber: index, rows: 30_000, fileId: 0, bytes: 1 }));
    const transactions = splitIntoTransactions(events, 100_000);
    // 300,000 rows, at most 100,000: a target of 100,000, three chunks each, the last alone.
    expect(transactions.map((transaction) => transaction.length)).toEqual([3, 3, 3, 1]);
    for (const transaction of transactions) expect(transaction.reduce((sum, event) => sum + event.rows, 0)).toBeLessThanOrEqual(100_000);
    expect(transactions).toHaveLength(4);
    expect(transactions.flat()).toEqual(events);
  });
});

describe('the pipeline on Azure', () => {
  const run = (inputs = calibratedValues(), workers = { extract: 1, transform: 2, aggregate: 1 }) => {
    const queue = new EventQueue();
    const environment = new AzureEnvironment(queue, inputs, { cores: 1, tier: 'Standard', units: 20 });
    const model = new PipelineModel({
      environment,
      inputs,
      recordsPartitions: 4,
      aggregatesPartitions: 2,
      queueBatchSize: 16,
      queueNewBatchThreshold: 8,
    });
    for (const [fn, count] of Object.entries(workers))
      for (let index = 0; index < count; index += 1) model.markReady(model.startWorker(fn, [fn as 'extract' | 'transform' | 'aggregate']));
    model.offer([
      { id: 0, name: 'a.csv', arriveAt: 0, rows: 400_000 },
      { id: 1, name: 'b.csv', arriveAt: 5, rows: 200_000 },
    ]);
    queue.runUntil(3600);
    return { model, environment };
  };

  it('loads every valid row of every file once and checkpoints every event', () => {
    const { model } = run();
    expect(model.allComplete).toBe(true);
    for (const file of model.files) expect(file.settledRows).toBeCloseTo(file.validRows, 6);
    expect(model.counters.settledRows).toBeCloseTo(600_000 * 0.99, 3);
    expect(hubUnprocessedEvents(model.records.positions(), 'functions')).toBe(0);
    expect(hubUnprocessedEvents(model.aggregates.positions(), 'functions')).toBe(0);
    // 396,000 valid rows over 4 partitions in chunks of 2,000: about 50 events per partition per file.
    expect(model.records.partitions[0]!.lastEnqueued + 1).toBeGreaterThanOrEqual(75);
    expect(model.counters.aggregatedRows).toBeCloseTo(model.counters.settledRows, 3);
  });

  it('loads no faster than the database takes rows', () => {
    const slow = withInput(calibratedValues(), 'SQL.logRateMBpsPerVcore', 0.3);
    const { model } = run(slow, { extract: 2, transform: 4, aggregate: 1 });
    const rate = sqlRowsPerSecond(slow);
    const lastComplete = Math.max(...model.files.map((file) => file.completedAt!));
    expect(rate).toBe(1000);
    expect(lastComplete).toBeGreaterThanOrEqual((600_000 * 0.99) / rate);
    expect(lastComplete).toBeLessThan((600_000 * 0.99) / rate + 120);
  });
});
