import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { inputPaths } from '../calibration.js';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '..', 'simulate.ts');
const simulate = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: join(import.meta.dirname, '..', '..') });

describe('npm run simulate', () => {
  it('runs a profile in both modes, prints the table and writes the report', async () => {
    const out = mkdtempSync(join(tmpdir(), 'simulate-cli-'));
    const { stdout } = await simulate(
      '--profile',
      'burst',
      '--gb',
      '0.2',
      '--files',
      '2',
      '--mode',
      'both',
      '--set',
      'SQL.vCores=4',
      '--out',
      out,
    );
    expect(stdout).toContain('| | Flex Consumption | KEDA on AKS |');
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('changed inputs: SQL.vCores=4');
  });

  it('lists every input with its source', async () => {
    const { stdout } = await simulate('--inputs');
    for (const path of inputPaths()) expect(stdout).toContain(`| ${path} |`);
    expect(stdout).not.toMatch(/\| undefined/);
  });

  it('refuses what it does not know, saying what it takes', async () => {
    await expect(simulate('--profile', 'weekly')).rejects.toMatchObject({
      stderr: expect.stringContaining('--profile must be one of burst, steady, diurnal, spike'),
    });
    await expect(simulate('--set', 'SQL.cores=4')).rejects.toMatchObject({
      stderr: expect.stringContaining("no simulation input 'SQL.cores'"),
    });
  });
});
