/**
 * `npm run etl -- <command>`: status, dead letters, replay, report, uploads and drafting a dataset
 * declaration from a file (infer-dataset.ts). All but the last work against the local
 * stack (settings from `.local/settings.json`, written by `npm start`) or against Azure (settings
 * from the environment, the same names the function app reads).
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_STATE_DIR } from './local-stack.js';
import { uploadCsv } from './upload-file.js';
import { printDailyReport } from './report-printer.js';
import { runInferDataset } from './infer-dataset.js';
import { describeFile } from './progress-reporter.js';
import { MAX_LIST_LIMIT, parseListLimit, StatusService } from '../../shared/status/status-service.js';
import { closeEtlRuntime, getEtlRuntime, type EtlRuntime } from '../../shared/runtime/etl-runtime.js';
import { replayDeadLetter } from '../../shared/handlers/replay-dead-letters.js';
import { createQueueServiceClient } from '../../shared/adapters/azure-clients.js';
import { listPoisonedLandings, requeuePoisonedLandings } from '../../shared/adapters/landing-poison-queue.js';
import { LANDING_POISON_QUEUE } from '../../shared/config/app-settings.js';
import type { FileState } from '../../shared/ports/file-manifest.js';
import { isEtlError } from '../../shared/errors/etl-error.js';

const USAGE = `Usage: npm run etl -- <command> [options]

Commands
  status                       totals over all files, and dead letters
  files [--state S] [--limit N]
                               landed files with their row accounting (S: extracting|loading|complete|failed)
  file <fileId>                one file, all fields (JSON)
  deadletters [--all] [--limit N]
                               events parked after their retries, oldest first (--all: replayed ones too), and
                               landed files extract gave up on (queue landing-events-poison)
  replay <id> | --all          put dead-lettered events back on their hub (--all: also the
                               landed files, back on landing-events for extract)
  report [--csv] [--dataset D] the daily percentile report (default dataset iot_events)
  upload <file.csv> [--dataset D] [--name N]
                               upload a CSV into landing/<dataset>/<name>
  infer-dataset <file.csv> --name D [--out F]
                               draft a dataset declaration from a file (--help: its options)
Options
  --state-dir DIR              the local stack's state folder (default .local/)
  --limit N                    list at most N (1 to ${MAX_LIST_LIMIT}; default ${MAX_LIST_LIMIT})
  --json                       machine-readable output where it applies`;

function loadLocalSettings(stateDir: string): void {
  const file = join(stateDir, 'settings.json');
  if (!existsSync(file)) return;
  const settings = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  for (const [name, value] of Object.entries(settings)) process.env[name] ??= value;
}

async function withRuntime<T>(work: (runtime: EtlRuntime) => Promise<T>): Promise<T> {
  try {
    return await work(await getEtlRuntime());
  } finally {
    await closeEtlRuntime();
  }
}

/** The command line, parsed: options, the command's one argument, the list limit, and how to print. */
interface CommandArgs {
  readonly values: ReturnType<typeof parseEtlArgs>['values'];
  readonly argument: string | undefined;
  readonly limit: number;
  readonly print: (value: unknown) => void;
}

/** Each command, by name; a command checks its argument before it opens the runtime. */
const COMMANDS: Readonly<Record<string, (args: CommandArgs) => Promise<number>>> = {
  status: ({ values, print }) =>
    withRuntime(async (runtime) => {
      const summary = await new StatusService(runtime.store.manifest, runtime.deadLetters).summary();
      if (values.json) print(summary);
      else {
        const states = Object.entries(summary.byState)
          .map(([state, count]) => `${count} ${state}`)
          .join(', ');
        print(`${summary.files} file(s): ${states}`);
        print(
          `rows: ${summary.totalRows} total = ${summary.validRows} valid + ${summary.rejectedRows} rejected; ` +
            `${summary.loadedRows} loaded, ${summary.duplicateRows} duplicate`,
        );
        print(`dead letters waiting: ${summary.deadLetters}`);
      }
      return 0;
    }),
  files: ({ values, limit, print }) =>
    withRuntime(async (runtime) => {
      const files = await new StatusService(runtime.store.manifest, runtime.deadLetters).files({
        state: values.state as FileState | undefined,
        limit,
      });
      if (values.json) print(files);
      else if (files.length === 0) print('no files yet');
      else for (const file of files) print(`${file.fileId}  ${describeFile(file)}`);
      return 0;
    }),
  file: async ({ argument, print }) => {
    if (!argument) throw new Error('file: give a file id (see `npm run etl -- files`)');
    return withRuntime(async (runtime) => {
      const file = await new StatusService(runtime.store.manifest, runtime.deadLetters).file(argument);
      if (!file) {
        console.error(`no file with id '${argument}'`);
        return 1;
      }
      print(file);
      return 0;
    });
  },
  deadletters: ({ values, limit, print }) =>
    withRuntime(async (runtime) => {
      const letters = await runtime.deadLetters.list({ includeReplayed: values.all, limit });
      const poisoned = await listPoisonedLandings(await createQueueServiceClient(runtime.config.storage));
      if (values.json) print({ events: letters, landings: poisoned });
      else {
        if (letters.length === 0) print('no dead-lettered events');
        for (const letter of letters)
          print(
            `${letter.id}  ${letter.stage}  ${letter.failedAt}  attempts=${letter.attempts}  ${letter.replayedAt ? `replayed ${letter.replayedAt}  ` : ''}${letter.error}`,
          );
        for (const landing of poisoned)
          print(`${LANDING_POISON_QUEUE}  ${landing.insertedOn ?? ''}  ${landing.subject}  (extract failed 5 times; see the host log)`);
      }
      return 0;
    }),
  replay: ({ values, argument, print }) =>
    withRuntime(async (runtime) => {
      const ids = values.all ? (await runtime.deadLetters.list()).map((letter) => letter.id) : argument ? [argument] : [];
      if (ids.length === 0 && !values.all) throw new Error('replay: give a dead-letter id, or --all');
      const publishers = new Map([
        [runtime.config.hubs.records, runtime.records],
        [runtime.config.hubs.aggregates, runtime.aggregates],
      ]);
      let failed = 0;
      for (const id of ids) {
        try {
          await replayDeadLetter(
            { deadLetters: runtime.deadLetters, publishers, manifest: runtime.store.manifest, clock: runtime.clock },
            id,
          );
          print(`replayed ${id}`);
        } catch (error) {
          // One letter that failed again while it was replayed does not stop the others.
          if (!isEtlError(error, 'DEAD_LETTER_CHANGED')) throw error;
          failed += 1;
          console.error(`etl: ${error.message}`);
        }
      }
      if (values.all) {
        const moved = await requeuePoisonedLandings(await createQueueServiceClient(runtime.config.storage));
        if (moved > 0) print(`put ${moved} landed file event(s) from ${LANDING_POISON_QUEUE} back for extract`);
      }
      return failed > 0 ? 1 : 0;
    }),
  report: ({ values, print }) =>
    withRuntime(async (runtime) => {
      const dataset = runtime.datasets.get(values.dataset);
      if (!dataset) throw new Error(`unknown dataset '${values.dataset}' (known: ${[...runtime.datasets.keys()].join(', ')})`);
      if (values.json) print(dataset.report === undefined ? [] : await runtime.store.report.dailyPercentile(dataset));
      else await printDailyReport(runtime, dataset, values.csv ? 'csv' : 'table', print);
      return 0;
    }),
  upload: async ({ values, argument, print }) => {
    if (!argument) throw new Error('upload: give a CSV file path');
    return withRuntime(async (runtime) => {
      if (!runtime.datasets.has(values.dataset))
        throw new Error(`unknown dataset '${values.dataset}' (known: ${[...runtime.datasets.keys()].join(', ')})`);
      const name = `${values.dataset}/${values.name ?? basename(argument)}`;
      await uploadCsv(runtime.blobService, name, createReadStream(argument), runtime.config.containers.landing);
      print(`uploaded ${argument} → ${runtime.config.containers.landing}/${name}; follow it with: npm run etl -- files`);
      return 0;
    });
  },
};

function parseEtlArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'state-dir': { type: 'string', default: DEFAULT_STATE_DIR },
      state: { type: 'string' },
      all: { type: 'boolean', default: false },
      csv: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      dataset: { type: 'string', default: 'iot_events' },
      name: { type: 'string' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

async function main(argv: string[]): Promise<number> {
  // Needs no local stack, and has options of its own.
  if (argv[0] === 'infer-dataset') return runInferDataset(argv.slice(1), (line) => console.log(line));
  const { values, positionals } = parseEtlArgs(argv);
  const [command, argument] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  const parsedLimit = parseListLimit(values.limit, MAX_LIST_LIMIT);
  if ('error' in parsedLimit) {
    console.error(`etl: ${parsedLimit.error}`);
    return 2;
  }
  loadLocalSettings(values['state-dir']);
  const print = (value: unknown) => console.log(typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (run === undefined) {
    console.error(`unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  return run({ values, argument, limit: parsedLimit.limit, print });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = (error as Error).message;
    console.error(`etl: ${message}`);
    if (/ECONNREFUSED 127\.0\.0\.1/.test(message))
      console.error('Is the local stack running? Start it in another terminal with `npm start`.');
    process.exit(1);
  },
);
