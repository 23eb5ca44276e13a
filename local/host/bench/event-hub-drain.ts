/**
 * How fast the local host drains an Event Hub through `subscribe()`, the library's argument
 * conversion and a handler that only counts: fills the emulator's hub first, then starts the host
 * with the repository's host.json and times it until every event was handed to the handler.
 *
 *   npx tsx local/host/bench/event-hub-drain.ts [--events 400] [--rows 2000] [--partitions 4]
 *
 * `--rows` is the number of ~100-byte rows per event, like the pipeline's chunk events.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EventHubProducerClient } from '@azure/event-hubs';
import { startAzurite } from '../../azurite/start-azurite.js';
import { startEventHubsEmulator } from '../../eventhubs-emulator/index.js';
import { startLocalFunctionsHost } from '../local-functions-host.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '400' },
    rows: { type: 'string', default: '2000' },
    partitions: { type: 'string', default: '4' },
  },
});
const events = Number(values.events);
const rows = Number(values.rows);
const partitions = Number(values.partitions);

const azurite = await startAzurite();
const emulator = await startEventHubsEmulator({
  config: { namespace: 'localhost', eventHubs: [{ name: 'bench', partitionCount: partitions, consumerGroups: ['$default'] }] },
  port: 0,
  log: () => {},
});
process.env.AzureWebJobsStorage = azurite.connectionString;
process.env.BENCH_EVENTHUB = emulator.connectionString;

const producer = new EventHubProducerClient(emulator.connectionString, 'bench');
const body = { rows: Array.from({ length: rows }, (_, index) => `row-${index},${'x'.repeat(90)}`) };
const bytes = Buffer.byteLength(JSON.stringify(body));
const fillStart = Date.now();
for (let index = 0; index < events; index++) await producer.sendBatch([{ body }], { partitionId: String(index % partitions) });
const fillMs = Date.now() - fillStart;
await producer.close();

const hostJson = JSON.parse(await readFile(fileURLToPath(new URL('../../../host.json', import.meta.url)), 'utf8')) as Record<
  string,
  unknown
>;
const entry = fileURLToPath(new URL('./counting-hub-function.ts', import.meta.url));
const drainStart = Date.now();
const host = await startLocalFunctionsHost({ entryModules: [entry], hostJson, log: () => {} });
const { receivedEvents } = (await import('./counting-hub-function.js')) as { receivedEvents: () => number };
while (receivedEvents() < events) await new Promise((resolve) => setTimeout(resolve, 10));
const drainMs = Date.now() - drainStart;
const invocations = host.stats().functions.countEvents?.invocations ?? 0;
await host.close();
await emulator.close();
await azurite.close();

const mb = (events * bytes) / 1e6;
console.log(`${events} events × ${(bytes / 1024).toFixed(0)} KB (${rows} rows each) over ${partitions} partitions`);
console.log(`fill (producer → emulator):  ${fillMs} ms  (${(mb / (fillMs / 1000)).toFixed(1)} MB/s)`);
console.log(
  `drain (host, start to last):  ${drainMs} ms  (${Math.round(events / (drainMs / 1000))} events/s, ${Math.round((events * rows) / (drainMs / 1000)).toLocaleString('en-US')} rows/s, ${(mb / (drainMs / 1000)).toFixed(1)} MB/s, ${invocations} invocations)`,
);
