/** The harness's output: one line per scenario while it runs, and a Markdown table at the end. */
import type { ScenarioResult } from './run-scenario.js';

const seconds = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(1));
const count = (value: number) => (Number.isNaN(value) ? '?' : value.toLocaleString('en-US'));

function verdict(result: ScenarioResult): string {
  if (result.notes.some((note) => note.startsWith('skipped:'))) return 'skipped';
  return result.violations.length === 0 ? 'ok' : `${result.violations.length} violation(s)`;
}

export function formatResultRow(result: ScenarioResult): string {
  return `  ${result.name}: rows ${count(result.rows)}, lost ${count(result.lost)}, duplicated ${count(result.duplicated)}, dead letters ${count(result.deadLetters)}, files complete ${seconds(result.completeSeconds)} s and aggregates ${seconds(result.recoverSeconds)} s after the fault (total ${seconds(result.totalSeconds)} s): ${verdict(result)}${result.notes.length > 0 ? ` — ${result.notes.join('; ')}` : ''}`;
}

export function formatResultTable(results: readonly ScenarioResult[]): string {
  const header = '| scenario | fault | rows | lost | duplicated | dead letters | complete s | recover s | total s | invariants |';
  const rule = '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |';
  const rows = results.map(
    (result) =>
      `| ${result.name} | ${result.fault} | ${count(result.rows)} | ${count(result.lost)} | ${count(result.duplicated)} | ${count(result.deadLetters)} | ${seconds(result.completeSeconds)} | ${seconds(result.recoverSeconds)} | ${seconds(result.totalSeconds)} | ${verdict(result)} |`,
  );
  return [header, rule, ...rows].join('\n');
}
