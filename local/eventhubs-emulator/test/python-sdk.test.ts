/**
 * Conformance with Python's official `azure-eventhub` SDK (the pyamqp transport, as Debian's
 * python3-azure ships it), over the emulator's TLS listener. The SDK is driven by a script beside
 * this file (fixtures/python-conformance.py) as an application would drive it against Azure; this
 * suite starts the emulator, runs the script and checks what it saw.
 *
 * That SDK always dials TLS on port 5671 (the port in the connection string is ignored), so the
 * emulator listens on 5671 of a loopback address of its own (127.x.y.z): no root is needed (5671 is
 * above 1024) and nothing else on 127.0.0.1:5671 is in the way.
 */
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventHubConsumerClient, EventHubProducerClient, earliestEventPosition } from '@azure/event-hubs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elementAt } from '../core/element-at.js';
import { partitionIndexForKey } from '../core/partition-key-hash.js';
import { startEventHubsEmulator, type RunningEventHubsEmulator } from '../index.js';
import { DEFAULT_KEY_PATTERN, readEvents } from './sdk-helpers.js';
import { findPythonWithEventHubs, hasOpenssl, makeSelfSignedCertificate, prerequisitesRequired } from './tls-fixtures.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/python-conformance.py', import.meta.url));
const HUB = 'records';
const PARTITIONS = 4;
const EVENTS_PER_KEY = 15;
const JS_EVENTS = 5;
/** The port Python's SDK dials, whatever the connection string says. */
const PYTHON_TLS_PORT = 5671;

const python = await findPythonWithEventHubs();
const missing = !python
  ? 'python3 with the azure-eventhub package (Debian/Ubuntu: apt-get install python3-azure)'
  : !(await hasOpenssl())
    ? 'the openssl command (to make a throwaway certificate)'
    : undefined;
const required = prerequisitesRequired();
if (missing && !required) {
  console.warn(`[python-sdk.test] SKIPPED: ${missing} was not found. CI (and .ci/run) install it and never skip this suite.`);
}

/** Two keys per partition, found with the service's key-to-partition hash. */
function keysCoveringEveryPartition(): string[] {
  const keys: string[] = [];
  const perPartition = new Array<number>(PARTITIONS).fill(0);
  for (let index = 0; keys.length < PARTITIONS * 2; index++) {
    const key = `device-${index}`;
    const partition = partitionIndexForKey(key, PARTITIONS);
    const count = elementAt(perPartition, partition);
    if (count < 2) {
      perPartition[partition] = count + 1;
      keys.push(key);
    }
  }
  return keys;
}

interface PythonError {
  type: string;
  module: string;
  message: string;
}
interface PythonPartition {
  id: string;
  hub: string;
  beginningSequenceNumber: number;
  lastEnqueuedSequenceNumber: number;
  lastEnqueuedOffset: string;
  isEmpty: boolean;
  lastEnqueuedTime: string;
}
interface PythonProperties {
  hub: { name: string; partitionIds: string[]; createdAt: string };
  partitions: PythonPartition[];
}
interface PythonEvent {
  partition: string;
  body: string;
  properties: Record<string, unknown>;
  partitionKey: string | null;
  sequenceNumber: number;
  offset: string;
  enqueuedTime: string;
  contentType: string | null;
  messageId: string | null;
}
interface PythonReport {
  sdkVersion: string;
  before: PythonProperties;
  after: PythonProperties;
  send: { sent: number; batchMaxSizeInBytes: number };
  oversizedAddToBatch: PythonError | null;
  oversizedSendEvent: PythonError | null;
  oversizedSendList: PythonError | null;
  receive: { received: PythonEvent[]; runtimeInfo: Record<string, { sequenceNumber: number; offset: string }> };
  unknownHubProperties: PythonError | null;
  unknownHubSend: PythonError | null;
}

async function runPython(executable: string, input: object, timeoutMs: number): Promise<PythonReport> {
  const child = spawn(executable, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(JSON.stringify(input));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`the Python conformance script exited with ${code}:\n${stderr.slice(-4000)}`);
  return JSON.parse(stdout) as PythonReport;
}

/** Starts the emulator with its TLS listener on 5671 of a loopback address nobody else uses. */
async function startOnOwnLoopbackAddress(directory: string, log: (line: string) => void): Promise<RunningEventHubsEmulator> {
  const tried: string[] = [];
  for (let attempt = 0; attempt < 8; attempt++) {
    // Linux routes all of 127.0.0.0/8 to the loopback interface; elsewhere only 127.0.0.1 may exist.
    const host = attempt < 7 ? `127.${randomInt(1, 255)}.${randomInt(1, 255)}.${randomInt(1, 255)}` : '127.0.0.1';
    const certificate = await makeSelfSignedCertificate(directory, [host]);
    try {
      return await startEventHubsEmulator({
        config: { eventHubs: [{ name: HUB, partitionCount: PARTITIONS }] },
        host,
        port: 0,
        tlsPort: PYTHON_TLS_PORT,
        tlsCert: certificate.certPath,
        tlsKey: certificate.keyPath,
        log,
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE' && code !== 'EADDRNOTAVAIL') throw error;
      tried.push(`${host}: ${code}`);
    }
  }
  throw new Error(
    `Port ${PYTHON_TLS_PORT} could not be listened on (${tried.join('; ')}); is something listening on 0.0.0.0:${PYTHON_TLS_PORT}?`,
  );
}

describe.skipIf(missing !== undefined && !required)(
  `event hubs emulator: Python azure-eventhub ${python?.sdkVersion ?? ''} over TLS${missing ? ` (skipped: ${missing} not found)` : ''}`,
  () => {
    let directory: string;
    let emulator: RunningEventHubsEmulator;
    const logLines: string[] = [];
    const keys = keysCoveringEveryPartition();
    let jsPartitions: Array<{ lastEnqueuedSequenceNumber: number }>;
    let report: PythonReport;

    beforeAll(async () => {
      if (missing) throw new Error(`${missing} is required here (CI or .ci/run) but was not found`);
      directory = await mkdtemp(join(tmpdir(), 'eh-emulator-python-'));
      emulator = await startOnOwnLoopbackAddress(directory, (line) => logLines.push(line));
      // Events from the JavaScript SDK first, over plain AMQP: Python must read them as well.
      const producer = new EventHubProducerClient(emulator.connectionString, HUB);
      try {
        await producer.sendBatch(
          Array.from({ length: JS_EVENTS }, (_, index) => ({
            body: { from: 'javascript', index },
            properties: { source: 'javascript', index },
          })),
          { partitionKey: 'from-javascript' },
        );
        jsPartitions = await Promise.all(Array.from({ length: PARTITIONS }, (_, id) => producer.getPartitionProperties(String(id))));
      } finally {
        await producer.close();
      }
      report = await runPython(
        python!.executable,
        {
          connectionString: emulator.tlsConnectionString,
          caFile: join(directory, 'emulator-cert.pem'),
          hub: HUB,
          keys,
          eventsPerKey: EVENTS_PER_KEY,
          eventsSentByJavaScript: JS_EVENTS,
          timeoutSeconds: 60,
        },
        150_000,
      );
    }, 240_000);

    afterAll(async () => {
      await emulator?.close();
      if (directory) await rm(directory, { recursive: true, force: true });
    });

    it('connects over TLS on 5671 with the connection string the emulator prints', () => {
      expect(emulator.tlsPort).toBe(PYTHON_TLS_PORT);
      expect(emulator.tlsConnectionString).toMatch(new RegExp(`^Endpoint=sb://127\\.\\d+\\.\\d+\\.\\d+;${DEFAULT_KEY_PATTERN}$`));
      expect(report.sdkVersion).toBe(python!.sdkVersion);
    });

    it('reads hub and partition properties', () => {
      const { before, after } = report;
      expect(before.hub.name).toBe(HUB);
      expect(before.hub.partitionIds).toEqual(['0', '1', '2', '3']);
      expect(Math.abs(Date.parse(before.hub.createdAt) - Date.now())).toBeLessThan(10 * 60_000);
      expect(after.hub).toEqual(before.hub);
      const perPartition = new Array<number>(PARTITIONS).fill(0);
      for (const key of keys) {
        const partition = partitionIndexForKey(key, PARTITIONS);
        perPartition[partition] = elementAt(perPartition, partition) + EVENTS_PER_KEY;
      }
      for (const [index, partition] of before.partitions.entries()) {
        expect(partition).toMatchObject({
          id: String(index),
          hub: HUB,
          lastEnqueuedSequenceNumber: jsPartitions[index]?.lastEnqueuedSequenceNumber,
        });
        expect(partition.isEmpty).toBe(partition.lastEnqueuedSequenceNumber === -1);
        const later = elementAt(after.partitions, index);
        expect(later.lastEnqueuedSequenceNumber).toBe(partition.lastEnqueuedSequenceNumber + elementAt(perPartition, index));
        expect(later).toMatchObject({ beginningSequenceNumber: 0, isEmpty: false });
        expect(Number(later.lastEnqueuedOffset)).toBeGreaterThan(Number(partition.lastEnqueuedOffset));
      }
    });

    it('sends one batch per partition key, within the 1 MB batch limit the emulator states', () => {
      expect(report.send).toEqual({ sent: keys.length * EVENTS_PER_KEY, batchMaxSizeInBytes: 1_048_576 });
    });

    it('receives every event from every partition, with its properties, on its key’s partition and in order', () => {
      const { received, runtimeInfo } = report.receive;
      expect(received).toHaveLength(keys.length * EVENTS_PER_KEY + JS_EVENTS);
      expect(new Set(received.map((event) => event.partition))).toEqual(new Set(['0', '1', '2', '3']));
      for (const key of keys) {
        const events = received.filter((event) => event.partitionKey === key);
        expect(events.map((event) => event.properties)).toEqual(
          Array.from({ length: EVENTS_PER_KEY }, (_, index) => ({ key, index, source: 'python' })),
        );
        for (const [index, event] of events.entries()) {
          expect(event.partition).toBe(String(partitionIndexForKey(key, PARTITIONS)));
          expect(JSON.parse(event.body)).toEqual({ key, index });
          expect(event).toMatchObject({ contentType: 'application/json', messageId: `${key}-${index}` });
          if (index > 0) {
            const previous = elementAt(events, index - 1);
            expect(event.sequenceNumber).toBeGreaterThan(previous.sequenceNumber);
            expect(Number(event.offset)).toBeGreaterThan(Number(previous.offset));
          }
        }
      }
      const fromJs = received.filter((event) => event.partitionKey === 'from-javascript');
      expect(fromJs.map((event) => event.properties)).toEqual(
        Array.from({ length: JS_EVENTS }, (_, index) => ({ source: 'javascript', index })),
      );
      expect(fromJs.map((event) => JSON.parse(event.body))).toEqual(
        Array.from({ length: JS_EVENTS }, (_, index) => ({ from: 'javascript', index })),
      );
      // track_last_enqueued_event_properties: the runtime metric the emulator puts in delivery annotations.
      for (const partition of report.after.partitions) {
        expect(runtimeInfo[partition.id]).toEqual({
          sequenceNumber: partition.lastEnqueuedSequenceNumber,
          offset: partition.lastEnqueuedOffset,
        });
      }
    });

    it('refuses an oversized event with the SDK’s own errors', () => {
      // The SDK checks batches against the link's max-message-size from the emulator's attach…
      expect(report.oversizedAddToBatch).toMatchObject({ type: 'ValueError', message: expect.stringContaining('1048576') });
      expect(report.oversizedSendList).toMatchObject({ type: 'ValueError' });
      // …and a single event goes to the emulator, which rejects the transfer as the service does.
      expect(report.oversizedSendEvent).toMatchObject({
        type: 'EventDataSendError',
        module: 'azure.eventhub.exceptions',
        message: expect.stringContaining('LinkMessageSizeExceeded'),
      });
    });

    it('refuses an unknown hub', () => {
      for (const error of [report.unknownHubProperties, report.unknownHubSend]) {
        expect(error).toMatchObject({ type: 'ConnectError', module: 'azure.eventhub.exceptions', message: expect.stringContaining('404') });
      }
    });

    it('stores what Python sent so the JavaScript SDK reads it back unchanged', async () => {
      const key = elementAt(keys, 0);
      const partition = String(partitionIndexForKey(key, PARTITIONS));
      const consumer = new EventHubConsumerClient('$default', emulator.connectionString, HUB);
      try {
        const events = await readEvents(consumer, partition, earliestEventPosition, 2 * EVENTS_PER_KEY);
        const fromKey = events.filter((event) => event.partitionKey === key);
        expect(fromKey.map((event) => event.properties)).toEqual(
          Array.from({ length: EVENTS_PER_KEY }, (_, index) => ({ key, index, source: 'python' })),
        );
        expect(fromKey[0]).toMatchObject({ body: { key, index: 0 }, contentType: 'application/json', messageId: `${key}-0` });
      } finally {
        await consumer.close();
      }
    });

    it('answers every frame the Python client sends without a protocol error', () => {
      expect(logLines.filter((line) => /protocol error|failed on|no reply link/.test(line))).toEqual([]);
    });
  },
);
