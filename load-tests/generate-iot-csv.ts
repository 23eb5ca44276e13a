/**
 * Writes a generated IoT events CSV to a file and prints what it holds.
 *
 *   tsx load-tests/generate-iot-csv.ts --rows 1000000 --out f.csv [--seed 1] [--duplicate-rate 0.02]
 *     [--bad-row-rate 0.01] [--start-time 2026-01-01T00:00:00Z] [--spread-minutes 60] [--devices 500] [--crlf]
 */
import { parseArgs } from 'node:util';
import { writeIotCsvFile, type IotCsvOptions } from '../local/sample-data/iot-csv-generator.js';

const USAGE =
  'usage: tsx load-tests/generate-iot-csv.ts --rows N --out FILE [--seed N] [--duplicate-rate R] [--bad-row-rate R] [--start-time ISO] [--spread-minutes N] [--devices N] [--crlf]';

function numberOption(values: Record<string, string | boolean | undefined>, name: string): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  const value = Number(text);
  if (typeof text !== 'string' || text.trim() === '' || !Number.isFinite(value))
    throw new RangeError(`--${name} must be a number, got ${String(text)}`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      'duplicate-rate': { type: 'string' },
      'bad-row-rate': { type: 'string' },
      'start-time': { type: 'string' },
      'spread-minutes': { type: 'string' },
      devices: { type: 'string' },
      crlf: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true || values.rows === undefined || values.out === undefined) {
    console.log(USAGE);
    process.exitCode = values.help === true ? 0 : 2;
    return;
  }
  const options: IotCsvOptions = {
    rows: numberOption(values, 'rows') as number,
    seed: numberOption(values, 'seed'),
    duplicateRate: numberOption(values, 'duplicate-rate'),
    badRowRate: numberOption(values, 'bad-row-rate'),
    startTime: values['start-time'],
    spreadMinutes: numberOption(values, 'spread-minutes'),
    devices: numberOption(values, 'devices'),
    crlf: values.crlf,
  };
  const started = performance.now();
  const { bytes, ...expected } = await writeIotCsvFile(values.out, options);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${values.out}: ${expected.rows} rows (${expected.badRows} bad, ${expected.duplicateRows} duplicates, ${expected.distinctKeys} distinct keys), ` +
      `${(bytes / 1024 / 1024).toFixed(1)} MiB in ${seconds.toFixed(1)} s (${Math.round(expected.rows / seconds)} rows/s)`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
