/**
 * `npm run emulator -- --config <file> [--data-dir <dir>] [--port 5672] [--host 127.0.0.1] [--metrics-port <n>]
 *   [--tls-port 5671 --tls-cert cert.pem --tls-key key.pem]`
 * Starts the emulator, prints the connection string on stdout (then the TLS one, with a TLS
 * listener), and stops cleanly on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startEventHubsEmulator, type EmulatorConfig } from './index.js';

const USAGE = `Usage: eventhubs-emulator --config <file.json> [--data-dir <dir>] [--port 5672] [--host 127.0.0.1] [--metrics-port <port>]
                          [--tls-port 5671 --tls-cert <cert.pem> --tls-key <key.pem>]
Without --config, one hub 'eh1' with 4 partitions is served. Without --data-dir, events live in memory only.
--tls-port adds a listener speaking AMQP over TLS (PEM certificate chain and key), for SDKs that always use TLS.`;

const DEFAULT_CONFIG: EmulatorConfig = { eventHubs: [{ name: 'eh1', partitionCount: 4 }] };

function portOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--${name} must be a port number (0–65535), got '${value}'.`);
  return port;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', short: 'c' },
      'data-dir': { type: 'string', short: 'd' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      'metrics-port': { type: 'string' },
      'tls-port': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const emulator = await startEventHubsEmulator({
    config: values.config ?? DEFAULT_CONFIG,
    dataDir: values['data-dir'],
    port: portOption(values.port, 'port') ?? 5672,
    host: values.host,
    metricsPort: portOption(values['metrics-port'], 'metrics-port'),
    tlsPort: portOption(values['tls-port'], 'tls-port'),
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
  });
  console.log(emulator.connectionString);
  if (emulator.tlsConnectionString) console.log(emulator.tlsConnectionString);
  if (emulator.metricsUrl) console.error(`[eventhubs-emulator] metrics: ${emulator.metricsUrl}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`[eventhubs-emulator] ${signal}: flushing and stopping`);
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`[eventhubs-emulator] close failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`[eventhubs-emulator] ${error instanceof Error ? error.message : String(error)}`);
  console.error(USAGE);
  process.exit(1);
});
