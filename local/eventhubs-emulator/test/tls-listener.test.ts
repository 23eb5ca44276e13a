/**
 * The TLS listener: started from the command line, used by the JavaScript SDK over TLS as against
 * Azure (the certificate checked against the host name), and refused setups with clear messages.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elementAt } from '../core/element-at.js';
import { startEventHubsEmulator } from '../index.js';
import { DEFAULT_KEY_PATTERN, quiet, waitFor } from './sdk-helpers.js';
import { hasOpenssl, makeSelfSignedCertificate, prerequisitesRequired, type TestCertificate } from './tls-fixtures.js';

const BIN = fileURLToPath(new URL('../../../bin/eventhubs-emulator.js', import.meta.url));
const JS_CLIENT = fileURLToPath(new URL('./fixtures/tls-js-client.mjs', import.meta.url));
const run = promisify(execFile);

const opensslMissing = !(await hasOpenssl());
if (opensslMissing && !prerequisitesRequired()) console.warn('[tls-listener.test] SKIPPED: the openssl command was not found.');

describe.skipIf(opensslMissing && !prerequisitesRequired())('event hubs emulator: TLS listener', () => {
  let directory: string;
  let certificate: TestCertificate;

  beforeAll(async () => {
    if (opensslMissing) throw new Error('the openssl command is required here (CI or .ci/run) but was not found');
    directory = await mkdtemp(join(tmpdir(), 'eh-emulator-tls-'));
    certificate = await makeSelfSignedCertificate(directory, ['127.0.0.1']);
  });
  afterAll(async () => {
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('starts from the command line with --tls-port/--tls-cert/--tls-key and serves the JavaScript SDK over TLS', async () => {
    const config = join(directory, 'tls.json');
    await writeFile(config, JSON.stringify({ eventHubs: [{ name: 'records', partitionCount: 2 }] }));
    const args = [
      '--config',
      config,
      '--port',
      '0',
      '--tls-port',
      '0',
      '--tls-cert',
      certificate.certPath,
      '--tls-key',
      certificate.keyPath,
    ];
    const child = spawn(process.execPath, [BIN, ...args], { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const lines: string[] = [];
      createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
      await waitFor(() => lines.length >= 2, 90_000, 'two connection strings');
      expect(lines[0]).toMatch(new RegExp(`^Endpoint=sb://localhost:\\d+;${DEFAULT_KEY_PATTERN}UseDevelopmentEmulator=true;$`));
      expect(lines[1]).toMatch(new RegExp(`^Endpoint=sb://localhost:\\d+;${DEFAULT_KEY_PATTERN}$`));
      // Without UseDevelopmentEmulator the SDK dials TLS and checks the certificate, trusted here
      // through NODE_EXTRA_CA_CERTS as a user would trust a development CA.
      const { stdout } = await run(process.execPath, [JS_CLIENT, elementAt(lines, 1), 'records'], {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: certificate.certPath },
        timeout: 90_000,
      });
      expect(JSON.parse(stdout)).toEqual({
        partitionIds: ['0', '1'],
        lastEnqueuedSequenceNumber: 0,
        events: [{ body: 'over-tls', properties: { transport: 'tls' } }],
      });
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  }, 180_000);

  it('logs a failed handshake and keeps serving', async () => {
    const lines: string[] = [];
    const emulator = await startEventHubsEmulator({
      config: { eventHubs: [{ name: 'records', partitionCount: 1 }] },
      port: 0,
      tlsPort: 0,
      tlsCert: certificate.certPath,
      tlsKey: certificate.keyPath,
      log: (line) => lines.push(line),
    });
    try {
      // A client that does not trust the certificate gives up during the handshake.
      const refused = await new Promise<Error>((resolve) => {
        const socket = tls.connect({ host: '127.0.0.1', port: emulator.tlsPort!, servername: 'localhost' });
        socket.once('error', resolve);
        socket.once('secureConnect', () => resolve(new Error('connected without trusting the certificate')));
      });
      expect(refused.message).toMatch(/self[- ]signed/i);
      await waitFor(() => lines.some((line) => line.startsWith('TLS handshake failed: ')), 10_000, 'the TLS log line');
      // One that trusts it gets the AMQP protocol header answered.
      const ca = await readFile(certificate.certPath);
      const header = await new Promise<Buffer>((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port: emulator.tlsPort!, servername: 'localhost', ca });
        socket.once('error', reject);
        socket.once('secureConnect', () => socket.write(Buffer.from('AMQP\x03\x01\x00\x00', 'latin1')));
        socket.once('data', (data: Buffer) => {
          socket.destroy();
          resolve(data.subarray(0, 8));
        });
      });
      expect(header.toString('latin1')).toBe('AMQP\x03\x01\x00\x00');
    } finally {
      await emulator.close();
    }
  });

  it('refuses an incomplete or unusable TLS setup with a message saying what is wrong', async () => {
    const config = { eventHubs: [{ name: 'records', partitionCount: 1 }] };
    await expect(startEventHubsEmulator({ config, port: 0, tlsPort: 0, tlsCert: certificate.certPath, log: quiet })).rejects.toMatchObject({
      name: 'EmulatorError',
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('needs all of tlsPort, tlsCert and tlsKey'),
    });
    await expect(
      startEventHubsEmulator({
        config,
        port: 0,
        tlsPort: 0,
        tlsCert: join(directory, 'nope.pem'),
        tlsKey: certificate.keyPath,
        log: quiet,
      }),
    ).rejects.toMatchObject({
      name: 'EmulatorError',
      code: 'INVALID_CONFIG',
      message: expect.stringContaining("Cannot read the TLS certificate '"),
    });
    const notPem = join(directory, 'not-a-cert.pem');
    await writeFile(notPem, 'not a certificate');
    await expect(
      startEventHubsEmulator({ config, port: 0, tlsPort: 0, tlsCert: notPem, tlsKey: certificate.keyPath, log: quiet }),
    ).rejects.toThrow(/TLS certificate or key cannot be used/);
  });
});
