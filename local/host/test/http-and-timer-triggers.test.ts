import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalFunctionsHost, type LocalFunctionsHost } from '../local-functions-host.js';
import { callsOf } from './fixtures/recorder.js';
import { waitFor } from './wait-for.js';

describe('http and timer triggers', () => {
  let host: LocalFunctionsHost;

  beforeAll(async () => {
    // No storage: every host runs its timers (there is no lock to share).
    delete process.env.AzureWebJobsStorage;
    host = await startLocalFunctionsHost({
      entryModules: [
        fileURLToPath(new URL('./fixtures/http-timer-functions.ts', import.meta.url)),
        fileURLToPath(new URL('./fixtures/cjs-functions.cjs', import.meta.url)),
      ],
      httpPort: 0,
      log: () => {},
    });
  });
  afterAll(async () => {
    await host?.close();
  });

  it('routes /api/<route> with parameters, query, JSON body, status, headers and cookies', async () => {
    const response = await fetch(`${host.httpUrl}/api/items/42?q=find`, {
      method: 'POST',
      body: JSON.stringify({ a: 1 }),
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-fixture')).toBe('yes');
    expect(response.headers.get('set-cookie')).toMatch(/^session=abc; Path=\/; HttpOnly/);
    expect(await response.json()).toEqual({ id: '42', q: 'find', body: { a: 1 }, method: 'POST', fn: 'echoItem' });
  });

  it('uses the function name as the default route and honours methods and route constraints', async () => {
    const plain = await fetch(`${host.httpUrl}/api/plainText`);
    expect(plain.status).toBe(200);
    expect(await plain.text()).toBe('hello from plainText');
    expect((await fetch(`${host.httpUrl}/api/plainText`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${host.httpUrl}/api/items/not-a-number`)).status).toBe(404);
    expect((await fetch(`${host.httpUrl}/plainText`)).status).toBe(404);
  });

  it('runs preInvocation hooks, which may replace the handler, and passes a W3C trace context', async () => {
    const response = await fetch(`${host.httpUrl}/api/replacedByHook`);
    expect(await response.text()).toBe('from the preInvocation hook');
    expect(response.headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('registers functions from CommonJS modules as well', async () => {
    expect(host.functions).toContain('fromCommonJs');
    expect(await (await fetch(`${host.httpUrl}/api/fromCommonJs`)).text()).toBe('registered from CommonJS');
  });

  it('answers 500 when the handler throws and 204 when it returns nothing', async () => {
    expect((await fetch(`${host.httpUrl}/api/alwaysThrows`)).status).toBe(500);
    expect((await fetch(`${host.httpUrl}/api/noResponse`)).status).toBe(204);
    expect(host.stats().functions.alwaysThrows).toMatchObject({ invocations: 1, failures: 1 });
  });

  it('keeps retrying an http server whose port is taken, and serves once it is free', async () => {
    const squatter = createServer((_request, response) => response.end('squatter'));
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as AddressInfo).port;
    const lines: string[] = [];
    const late = await startLocalFunctionsHost({
      entryModules: [fileURLToPath(new URL('./fixtures/http-timer-functions.ts', import.meta.url))],
      functions: ['plainText'],
      httpPort: port,
      log: (level, message) => lines.push(`${level} ${message}`),
    });
    try {
      expect(late.httpUrl).toBeUndefined();
      expect(lines).toContainEqual(expect.stringMatching(/^error the http server cannot start, retrying/));
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
      const url = await waitFor('the http server to bind', () => late.httpUrl);
      expect(await (await fetch(`${url}/api/plainText`)).text()).toBe('hello from plainText');
    } finally {
      await late.close();
    }
  });

  it('runs a timer on startup and then on its NCRONTAB schedule, with the timer argument', async () => {
    const ticks = await waitFor('three timer ticks', () => callsOf('everySecond').length >= 3 && callsOf('everySecond'));
    const timer = ticks[1]?.input as {
      isPastDue: boolean;
      schedule: unknown;
      scheduleStatus: { last: string; next: string; lastUpdated: string };
    };
    expect(timer.isPastDue).toBe(false);
    expect(timer.schedule).toEqual({ adjustForDST: true });
    expect(Date.parse(timer.scheduleStatus.next)).toBeGreaterThan(Date.parse(timer.scheduleStatus.lastUpdated));
    expect(ticks[0]?.context.triggerMetadata).toBeUndefined();
  });
});
