import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  filesCsv,
  reportMarkdown,
  sampleRates,
  samplesCsv,
  summarize,
  writeLoadReport,
  type LoadFileResult,
  type LoadRunResult,
  type LoadSample,
} from './load-report.js';

const sample = (
  atSeconds: number,
  uploadedRows: number,
  extractedRows: number,
  settledRows: number,
  filesComplete: number,
): LoadSample => ({
  atSeconds,
  uploadedRows,
  extractedRows,
  settledRows,
  filesComplete,
  filesFailed: 0,
  chunksPublished: 0,
  retries: filesComplete,
  deadLetters: 0,
  cpuSeconds: atSeconds * 1.5,
});

const file = (name: string, uploadedAtSeconds: number, completedAtSeconds: number | null, balanced = true): LoadFileResult => ({
  blobName: name,
  plannedAtSeconds: uploadedAtSeconds - 0.1,
  uploadedAtSeconds,
  receivedAtSeconds: uploadedAtSeconds + 0.2,
  extractedAtSeconds: uploadedAtSeconds + 0.5,
  completedAtSeconds,
  state: completedAtSeconds === null ? 'loading' : 'complete',
  totalRows: 1000,
  validRows: 990,
  rejectedRows: 10,
  loadedRows: 970,
  duplicateRows: 20,
  balanced,
});

const run: LoadRunResult = {
  profile: 'steady',
  description: 'one file every interval',
  settings: { files: 2, 'rows per file': 1000 },
  startedAt: '2026-11-30T12:00:00.000Z',
  // 1,980 rows settled over 4 s; the fastest 2 s settle 1,500 of them.
  samples: [sample(0, 1000, 0, 0, 0), sample(1, 1000, 1000, 300, 0), sample(2, 2000, 1000, 1500, 1), sample(4, 2000, 2000, 1980, 2)],
  files: [file('iot_events/a.csv', 0.1, 2.1), file('iot_events/b,"c".csv', 1.6, 3.6)],
  cpu: {
    processes: [
      { name: 'transform-1', seconds: 3 },
      { name: 'extract-1', seconds: 1 },
    ],
    totalSeconds: 4,
  },
};

describe('load-test report', () => {
  it('turns samples into rates over a window before each sample (from the first sample early on)', () => {
    expect(sampleRates(run.samples)).toEqual([
      { atSeconds: 1, settled: 300, extracted: 1000 },
      { atSeconds: 2, settled: 750, extracted: 500 },
      { atSeconds: 4, settled: 240, extracted: 500 },
    ]);
    // A window no longer than the sample spacing gives the rate between consecutive samples.
    expect(sampleRates(run.samples, 1)).toEqual([
      { atSeconds: 1, settled: 300, extracted: 1000 },
      { atSeconds: 2, settled: 1200, extracted: 0 },
      { atSeconds: 4, settled: 240, extracted: 500 },
    ]);
  });

  it('summarizes rows, time, peak rate and latency from the files and samples', () => {
    const summary = summarize(run);
    expect(summary).toMatchObject({
      files: 2,
      filesComplete: 2,
      totalRows: 2000,
      validRows: 1980,
      rejectedRows: 20,
      loadedRows: 1940,
      duplicateRows: 40,
      // Only rates over a full 2 s window count: 750 at 2 s, not the 1,200 of one short stretch.
      peakSettledRowsPerSecond: 750,
      retries: 2,
      allBalanced: true,
    });
    // First planned upload (0.0 s) to the last completion (3.6 s).
    expect(summary.seconds).toBeCloseTo(3.6, 10);
    expect(summary.rowsPerSecond).toBeCloseTo(2000 / 3.6, 6);
    expect(summary.latencyMedianSeconds).toBeCloseTo(2.0, 10);
    expect(summary.latencyMaxSeconds).toBeCloseTo(2.0, 10);
  });

  it('takes the median and the maximum of the file latencies, upload done to facts complete', () => {
    // Latencies 1 s, 5 s and 2 s; a file not uploaded (the run timed out) has none.
    const files = [file('a.csv', 1, 2), file('b.csv', 1, 6), file('c.csv', 3, 5), { ...file('d.csv', 4, null), uploadedAtSeconds: null }];
    const summary = summarize({ ...run, files });
    expect(summary.latencyMedianSeconds).toBe(2);
    expect(summary.latencyMaxSeconds).toBe(5);
    expect(summarize({ ...run, files: files.slice(0, 2) }).latencyMedianSeconds).toBe(3);
  });

  it('gives a run shorter than the rate window its rate from the first sample to the last as the peak', () => {
    expect(summarize({ ...run, samples: run.samples.slice(0, 2) }).peakSettledRowsPerSecond).toBe(300);
    expect(summarize({ ...run, samples: run.samples.slice(0, 1) }).peakSettledRowsPerSecond).toBe(0);
  });

  it('counts an unfinished or unbalanced run as such, up to its last sample', () => {
    const unfinished = summarize({ ...run, files: [file('a.csv', 0.1, 2.1), file('b.csv', 1.6, null, false)] });
    expect(unfinished.filesComplete).toBe(1);
    expect(unfinished.allBalanced).toBe(false);
    expect(unfinished.seconds).toBeCloseTo(4 - 0, 10);
    expect(reportMarkdown({ ...run, files: [file('b.csv', 1.6, null, false)] })).toContain('| every row accounted for | **no** |');
  });

  it('writes CSV with one line per sample and per file, quoting what needs it', () => {
    const samples = samplesCsv(run.samples).trimEnd().split('\n');
    expect(samples).toHaveLength(5);
    expect(samples[0]).toBe(
      'at_seconds,uploaded_rows,extracted_rows,settled_rows,files_complete,files_failed,chunks_published,retries,dead_letters,cpu_seconds,instances,lag_events',
    );
    expect(samples[2]).toBe('1.000,1000,1000,300,0,0,0,0,0,1.50,,');
    const files = filesCsv(run.files).trimEnd().split('\n');
    expect(files).toHaveLength(3);
    expect(files[2]).toBe('"iot_events/b,""c"".csv",1.500,1.600,1.800,2.100,3.600,2.000,complete,1000,990,10,970,20,yes');
  });

  it('writes the report, both charts and both CSV files, the report linking the charts', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'load-report-'));
    const { report, files } = await writeLoadReport(directory, run);
    expect(files.map((path) => path.slice(directory.length + 1)).sort()).toEqual([
      'files.csv',
      'progress.svg',
      'report.md',
      'samples.csv',
      'throughput.svg',
    ]);
    const markdown = readFileSync(report, 'utf8');
    expect(markdown).toContain('# Load test: steady');
    expect(markdown).toContain('One file every interval. Started 2026-11-30T12:00:00.000Z.');
    expect(markdown).toContain('| peak transform rate (over 2 s) | 750 rows/s |');
    expect(markdown).toContain('| CPU over the run | 4.0 s, 2000.0 µs per row: transform-1 3.0 s, extract-1 1.0 s |');
    expect(markdown).toContain('![Throughput](throughput.svg)');
    expect(readFileSync(join(directory, 'progress.svg'), 'utf8').match(/<polyline/g)).toHaveLength(3);
  });
});
