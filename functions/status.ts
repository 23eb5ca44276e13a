/**
 * Status API over HTTP (GET): `/api/files` (optional `?state=&dataset=&limit=`, default 100),
 * `/api/files/{fileId}` via `?id=`, `/api/deadletters` (optional `?all=true&limit=`, default 1,000),
 * `/api/summary`, `/api/health`. `limit` is at most 1,000. Function-key protected in Azure.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { FileState } from '../shared/ports/file-manifest.js';
import { parseListLimit, StatusService } from '../shared/status/status-service.js';
import { getEtlRuntime } from '../shared/runtime/etl-runtime.js';

const FILE_STATES: readonly FileState[] = ['extracting', 'loading', 'complete', 'failed'];

async function statusService(): Promise<StatusService> {
  const runtime = await getEtlRuntime();
  return new StatusService(runtime.store.manifest, runtime.deadLetters);
}

export async function filesEndpoint(request: HttpRequest): Promise<HttpResponseInit> {
  const limit = limitOf(request, 100);
  if (typeof limit === 'object') return limit;
  const service = await statusService();
  const id = request.query.get('id');
  if (id) {
    const file = await service.file(id);
    return file ? { jsonBody: file } : { status: 404, jsonBody: { error: `no file with id '${id}'` } };
  }
  const state = request.query.get('state') ?? undefined;
  if (state !== undefined && !FILE_STATES.includes(state as FileState)) {
    return { status: 400, jsonBody: { error: `state must be one of ${FILE_STATES.join(', ')}` } };
  }
  return {
    jsonBody: await service.files({ state: state as FileState | undefined, dataset: request.query.get('dataset') ?? undefined, limit }),
  };
}

/** `?limit=` (1 to MAX_LIST_LIMIT), `fallback` without one, or a 400 response to return. */
export function limitOf(request: Pick<HttpRequest, 'query'>, fallback: number): number | HttpResponseInit {
  const parsed = parseListLimit(request.query.get('limit'), fallback);
  return 'error' in parsed ? { status: 400, jsonBody: { error: parsed.error } } : parsed.limit;
}

export async function deadLettersEndpoint(request: HttpRequest): Promise<HttpResponseInit> {
  const limit = limitOf(request, 1000);
  if (typeof limit === 'object') return limit;
  const service = await statusService();
  return { jsonBody: await service.deadLetterList({ includeReplayed: request.query.get('all') === 'true', limit }) };
}

export async function summaryEndpoint(): Promise<HttpResponseInit> {
  return { jsonBody: await (await statusService()).summary() };
}

/**
 * Anonymous (probes carry no key), so a failure answers with a generic message: the reason can name
 * servers, settings and their values, and goes to the log instead.
 */
export async function healthEndpoint(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const runtime = await getEtlRuntime();
    await runtime.store.manifest.listFiles({ limit: 1 });
    return { jsonBody: { status: 'ok' } };
  } catch (error) {
    context.error(`health: the pipeline is unavailable: ${(error as Error).message}`);
    return { status: 503, jsonBody: { status: 'unavailable' } };
  }
}

app.http('files', { methods: ['GET'], authLevel: 'function', route: 'files', handler: filesEndpoint });
app.http('deadletters', { methods: ['GET'], authLevel: 'function', route: 'deadletters', handler: deadLettersEndpoint });
app.http('summary', { methods: ['GET'], authLevel: 'function', route: 'summary', handler: summaryEndpoint });
app.http('health', { methods: ['GET'], authLevel: 'anonymous', route: 'health', handler: healthEndpoint });
