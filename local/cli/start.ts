/**
 * `npm start`: the whole pipeline on this machine. Starts Azurite, the Event Hubs emulator and the
 * local Functions host (extract, transform, aggregate, outbox relay, status API) with state under
 * `.local/`, uploads a generated sample on the first start, shows progress, and keeps running for
 * your own uploads until Ctrl-C.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_STATE_DIR,
  FUNCTION_PLACEMENTS,
  appSettingsFromEnvironment,
  startLocalStack,
  type LocalStack,
  type LocalStackOptions,
} from './local-stack.js';
import { oneOf, parseInstances } from './cli-options.js';
import { uploadGeneratedIotCsv } from './upload-file.js';
import { ProgressReporter } from './progress-reporter.js';
import { printDailyReport } from './report-printer.js';
import { StatusService, type FileStatus } from '../../shared/status/status-service.js';
import { getEtlRuntime, type EtlRuntime } from '../../shared/runtime/etl-runtime.js';
import { SCALING_MODES } from '../scaler/scaling-formulas.js';

const USAGE = `Usage: npm start -- [options]

  --no-sample        do not upload the generated sample file on the first start
  --sample-rows N    rows in the sample file (default 20000)
  --once             exit when every landed file is complete (for scripts)
  --free-ports       use any free ports instead of 10000-10002 (Azurite), 5672 (AMQP), 7071 (HTTP)
  --state-dir DIR    where state lives (default .local/)
  --partitions N     partitions per Event Hub on a fresh state dir (default 4)
  --instances N      Functions host instances: this process plus N-1 child processes sharing
                     partitions and the landing queue (default 1); with --autoscale, the start count
  --placement P      'shared' (default): every host process runs every function, as on the
                     Consumption plan; 'per-function': extract, transform and aggregate each run in
                     processes of their own (--instances of each), as the Flex Consumption plan
                     scales each function on its own instances; there --instances may name
                     functions: 'transform=2' or '1,transform=2,aggregate=1'
  --autoscale MODE   start and stop host processes from the Event Hubs lag: 'functions' (Functions
                     target-based scaling) or 'keda' (KEDA azure-eventhub + HPA); see local/scaler/README.md
  --max-instances N  most instances with --autoscale (default 4)
  --scale-poll-ms N  how often --autoscale reads the lag (default 5000)
  -h, --help         this text`;

/** What the command line asks for, checked before anything starts. */
interface StartArgs {
  readonly stateDir: string;
  /** Rows of the generated sample uploaded on the first start; `undefined` with --no-sample. */
  readonly sampleRows: number | undefined;
  /** --once: exit when every landed file is complete. */
  readonly exitWhenIdle: boolean;
  readonly stack: LocalStackOptions;
}

async function main(): Promise<number> {
  const args = parseStartArgs();
  if (args === 'help') {
    console.log(USAGE);
    return 0;
  }
  console.log(`ScalableETL local stack — state in ${args.stateDir}`);
  const stack = await startLocalStack(args.stack);
  const shutdown = stopOnSignals(stack);
  printConnections(stack, args.stack.ports ?? 'default');
  if (args.sampleRows !== undefined) await uploadSampleOnce(stack, args.stateDir, args.sampleRows);
  return followFiles(shutdown, { exitWhenIdle: args.exitWhenIdle });
}

function parseStartArgs(): StartArgs | 'help' {
  const { values } = parseArgs({
    options: {
      'no-sample': { type: 'boolean', default: false },
      'sample-rows': { type: 'string', default: '20000' },
      once: { type: 'boolean', default: false },
      'free-ports': { type: 'boolean', default: false },
      'state-dir': { type: 'string', default: DEFAULT_STATE_DIR },
      partitions: { type: 'string', default: '4' },
      instances: { type: 'string', default: '1' },
      placement: { type: 'string', default: 'shared' },
      autoscale: { type: 'string' },
      'max-instances': { type: 'string', default: '4' },
      'scale-poll-ms': { type: 'string', default: '5000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const stateDir = values['state-dir'];
  const sampleRows = Number(values['sample-rows']);
  if (!Number.isSafeInteger(sampleRows) || sampleRows < 1)
    throw new Error(`--sample-rows must be a positive integer, got '${values['sample-rows']}'`);

  const autoscale = values.autoscale === undefined ? undefined : oneOf('autoscale', SCALING_MODES, values.autoscale);
  // startLocalStack refuses per-function placement with autoscaling, before it starts anything.
  const placement = oneOf('placement', FUNCTION_PLACEMENTS, values.placement);
  const instances = parseInstances(values.instances);
  const maxInstances = Number(values['max-instances']);
  const scalePollMs = Number(values['scale-poll-ms']);
  if (!Number.isSafeInteger(maxInstances) || maxInstances < 1)
    throw new Error(`--max-instances must be a positive integer, got '${values['max-instances']}'`);
  if (!Number.isSafeInteger(scalePollMs) || scalePollMs < 100)
    throw new Error(`--scale-poll-ms must be an integer ≥ 100, got '${values['scale-poll-ms']}'`);

  const stack: LocalStackOptions = {
    stateDir,
    ports: values['free-ports'] ? 'free' : 'default',
    partitions: Number(values.partitions),
    instances: instances.each,
    functionInstances: instances.perFunction,
    placement,
    autoscale: autoscale === undefined ? undefined : { mode: autoscale, max: maxInstances, pollMs: scalePollMs },
    // App settings in the environment (ETL_CHUNK_MAX_ROWS=500 npm start) apply as they would in Azure.
    settings: appSettingsFromEnvironment(),
    log: (line) => {
      if (!line.includes('[host]') || /error|fail|dead-letter/i.test(line)) console.log(line);
    },
  };
  return { stateDir, sampleRows: values['no-sample'] ? undefined : sampleRows, exitWhenIdle: values.once, stack };
}

/** The one way `npm start` ends: a signal, a launcher gone, `--once`, or a child that kept dying. */
interface Shutdown {
  readonly stopping: boolean;
  stop(code: number, why?: string): Promise<void>;
}

function stopOnSignals(stack: LocalStack): Shutdown {
  let stopping = false;
  const stop = async (code: number, why?: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${why ?? 'Shutting down'}…`);
    await stack.close();
    console.log('Stopped. State is kept; `npm start` resumes.');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGHUP', () => void stop(0, 'The terminal closed: shutting down'));
  // A child that kept dying: the stack has stopped itself.
  void stack.failure.then((error) => {
    if (stopping) return;
    stopping = true;
    console.error(`\nnpm start stopped: ${error.message}`);
    process.exit(1);
  });
  watchLauncher(() => void stop(1, 'The process that started npm start is gone: shutting down'));
  return {
    get stopping() {
      return stopping;
    },
    stop,
  };
}

function printConnections(stack: LocalStack, ports: 'default' | 'free'): void {
  const defaultPorts = ports === 'default';
  const children = stack.hostProcesses.slice(1);
  const processes =
    children.length === 0
      ? ''
      : `\nHost processes\n${children.map((child) => `  ${child.instanceId.padEnd(20)}pid ${child.pid}  ${child.functions.join(', ')}${child.httpUrl ? `  ${child.httpUrl}/api/metrics` : ''}`).join('\n')}\n`;
  console.log(`
Connection strings
  Storage (Azurite):  ${stack.storageConnectionString}${defaultPorts ? '\n  Storage (short):    UseDevelopmentStorage=true' : ''}
  Event Hubs:         ${stack.eventHubsConnectionString}
  Status API:         ${stack.httpUrl ?? '(off)'}/api/summary   ${stack.httpUrl ?? ''}/api/files   ${stack.httpUrl ?? ''}/api/deadletters
${processes}
Drop CSV files into the '${stack.config.containers.landing}' container under a dataset folder, e.g.:
  AZURE_CORE_COLLECT_TELEMETRY=false az storage blob upload --connection-string "${defaultPorts ? 'UseDevelopmentStorage=true' : stack.storageConnectionString}" \\
      --container-name ${stack.config.containers.landing} --name iot_events/my-file.csv --file ./my-file.csv
  (az CLI 2.45 from Debian wants the full connection string above instead of UseDevelopmentStorage=true)
  or: npm run etl -- upload ./my-file.csv
Status: npm run etl -- status | files | deadletters | report     Ctrl-C stops everything.
`);
}

/** The generated sample, on the first start of a state folder only (a marker file remembers it). */
async function uploadSampleOnce(stack: LocalStack, stateDir: string, rows: number): Promise<void> {
  const marker = join(stateDir, 'sample-uploaded');
  if (existsSync(marker)) return;
  const name = `iot_events/sample-${new Date().toISOString().replace(/[:.]/g, '-')}.csv`;
  const landing = stack.config.containers.landing;
  const expected = await uploadGeneratedIotCsv(
    stack.blobService,
    name,
    { rows, seed: 42, duplicateRate: 0.02, badRowRate: 0.01, spreadMinutes: 2 * 24 * 60 },
    landing,
  );
  await writeFile(marker, `${name}\n`);
  console.log(
    `Uploaded a generated sample: ${landing}/${name} (${expected.rows} rows, ${expected.badRows} bad, ${expected.duplicateRows} duplicates)\n`,
  );
}

/** Prints each file's progress, and the daily reports whenever the work goes idle; with `exitWhenIdle`, stops then. */
async function followFiles(shutdown: Shutdown, options: { readonly exitWhenIdle: boolean }): Promise<number> {
  const runtime = await getEtlRuntime();
  const reporter = new ProgressReporter(new StatusService(runtime.store.manifest, runtime.deadLetters), (line) => console.log(`  ${line}`));
  let reportedIdle = false;
  const reported = new Set<string>();
  for (;;) {
    if (shutdown.stopping) return 0;
    const files = await reporter.tick().catch((error: unknown) => {
      console.error(`status: ${(error as Error).message}`);
      return [];
    });
    const busy = files.some((file) => file.state === 'extracting' || file.state === 'loading');
    if (!busy && files.length > 0 && !reportedIdle) {
      reportedIdle = true;
      await new Promise((resolve) => setTimeout(resolve, 1500)); // let the last partials merge
      await printNewReports(runtime, files, reported);
      if (options.exitWhenIdle) {
        await shutdown.stop(files.every((file) => file.state === 'complete') ? 0 : 1);
        return 0;
      }
      console.log('\nWaiting for uploads… (Ctrl-C to stop)');
    }
    if (busy) reportedIdle = false;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** The report of each dataset a file completed in since the last one printed. */
async function printNewReports(runtime: EtlRuntime, files: readonly FileStatus[], reported: Set<string>): Promise<void> {
  const completed = files.filter((file) => file.state === 'complete' && !reported.has(file.fileId));
  for (const file of completed) reported.add(file.fileId);
  for (const name of new Set(completed.map((file) => file.dataset))) {
    const dataset = runtime.datasets.get(name);
    if (dataset === undefined) continue;
    await printDailyReport(runtime, dataset, 'table', (line) => console.log(line)).catch((error: unknown) =>
      console.error(`report: ${(error as Error).message}`),
    );
  }
}

/**
 * `npm start` runs this file under a launcher (tsx's CLI, under npm); when the launcher is killed
 * without passing a signal on, the stack stops rather than run on unowned.
 */
function watchLauncher(onGone: () => void): void {
  const launcher = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === launcher) return;
    clearInterval(timer);
    onGone();
  }, 1000);
  timer.unref();
}

main().then(
  (code) => {
    if (code !== 0) process.exit(code);
  },
  (error: unknown) => {
    console.error(`npm start failed: ${(error as Error).message}`);
    if (/EADDRINUSE|address already in use|port/i.test((error as Error).message)) {
      console.error('A port is taken (another Azurite or emulator?). Stop it, or run: npm start -- --free-ports');
    }
    process.exit(1);
  },
);
