/**
 * `limit` on the status API and the CLI: a page of at most 1,000, refused above with a clear
 * message instead of reaching a store (Azure SQL's TOP takes an INT).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../local/cli/local-stack.js';
import { deadLettersEndpoint, filesEndpoint } from './status.js';

const request = (path: string) => new HttpRequest({ method: 'GET', url: `http://localhost/api/${path}` });

describe('limit on the status API and the CLI', () => {
  it.each([['1001'], ['9007199254740991'], ['0'], ['-1'], ['2.5']])('answers 400 to limit=%s', async (limit) => {
    for (const endpoint of [filesEndpoint, deadLettersEndpoint]) {
      const response = await endpoint(request(`x?limit=${limit}`));
      expect(response.status).toBe(400);
      expect(response.jsonBody).toEqual({ error: `limit must be a whole number from 1 to 1000, got '${limit}'` });
    }
  });

  it('refuses a limit above 1,000 in the CLI before it reaches the pipeline', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(REPOSITORY_ROOT, 'local', 'cli', 'etl.ts'), 'deadletters', '--limit', '9007199254740991'],
      {
        cwd: REPOSITORY_ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("limit must be a whole number from 1 to 1000, got '9007199254740991'");
  });
});
