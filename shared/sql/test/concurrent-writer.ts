/**
 * Child process for the contract suite's "two processes" case: opens its own store through the
 * public factory and loads the chunks it is given, then prints the results as JSON.
 * Usage: node --import tsx concurrent-writer.ts <job.json>
 */
import { readFileSync } from 'node:fs';
import { openEtlStore } from '../open-etl-store.js';
import type { SqlConfig } from '../sql-config.js';
import type { DatasetDeclaration } from '../../datasets/dataset-declaration.js';
import { eventFact, type EventSpec } from './contract-fixtures.js';

interface Job {
  readonly config: SqlConfig;
  readonly dataset: DatasetDeclaration;
  readonly fileId: string;
  readonly chunks: readonly { readonly chunkId: string; readonly events: readonly EventSpec[] }[];
}

const job = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as Job;
const store = await openEtlStore(job.config);
try {
  const results = [];
  for (const chunk of job.chunks) {
    const facts = chunk.events.map((event, index) => eventFact(job.dataset, event, job.fileId, index + 1));
    const result = await store.facts.loadChunk({ dataset: job.dataset, fileId: job.fileId, chunkId: chunk.chunkId, facts }, (newFacts) => [
      { id: `${chunk.chunkId}/all`, destination: 'aggregates', partitionKey: 'p', body: JSON.stringify({ n: newFacts.length }) },
    ]);
    results.push({ chunkId: chunk.chunkId, ...result });
  }
  process.stdout.write(JSON.stringify(results));
} finally {
  await store.close();
}
