/**
 * Runs only the extract on one landed blob, with the app's own wiring, then prints one JSON line
 * with the outcome and this process's peak RSS (VmHWM). Used by the pipeline benchmark.
 */
import { readFileSync } from 'node:fs';
import { extractFile } from '../shared/handlers/extract-handler.js';
import { closeEtlRuntime, getEtlRuntime } from '../shared/runtime/etl-runtime.js';
import { silentLogger } from '../shared/runtime/logger.js';

function peakRssMb(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) / 1024 : process.memoryUsage().rss / 1024 / 1024;
}

const blobName = process.argv[2];
if (!blobName) throw new Error('usage: extract-only.ts <blob name in landing>');
const runtime = await getEtlRuntime();
const outcome = await extractFile(runtime.extractDependencies(silentLogger), { container: runtime.config.containers.landing, blobName });
await closeEtlRuntime();
console.log(JSON.stringify({ ...outcome, peakRssMb: peakRssMb() }));
