/**
 * The anonymous `/api/health` must not tell the internet why the pipeline is down: it answers with
 * a generic message, and the detail (which can name servers, settings and their values) goes to
 * the invocation's log.
 */
import { HttpRequest, InvocationContext } from '@azure/functions';
import { afterEach, describe, expect, it } from 'vitest';
import { closeEtlRuntime } from '../shared/runtime/etl-runtime.js';
import { healthEndpoint } from './status.js';

describe('GET /api/health when the pipeline cannot start', () => {
  const saved = { ...process.env };
  afterEach(async () => {
    process.env = { ...saved };
    await closeEtlRuntime();
  });

  it('answers 503 with a generic message and logs the detail', async () => {
    Object.assign(process.env, {
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      ETL_EVENTHUB: 'Endpoint=sb://localhost:1;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true;',
      ETL_CHUNK_MAX_ROWS: 'value-that-names-an-internal-detail',
    });
    const logged: string[] = [];
    const context = new InvocationContext({
      functionName: 'health',
      logHandler: (_level, ...args) => logged.push(args.map(String).join(' ')),
    });
    const response = await healthEndpoint(new HttpRequest({ method: 'GET', url: 'http://localhost/api/health' }), context);
    expect(response.status).toBe(503);
    expect(JSON.stringify(response.jsonBody)).not.toContain('value-that-names-an-internal-detail');
    expect(JSON.stringify(response.jsonBody)).not.toContain('ETL_CHUNK_MAX_ROWS');
    expect(response.jsonBody).toEqual({ status: 'unavailable' });
    expect(logged.join('\n')).toContain('value-that-names-an-internal-detail');
  });
});
