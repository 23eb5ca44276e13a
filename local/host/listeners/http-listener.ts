/**
 * `app.http` locally: one node:http server for all http functions of a host, routes under
 * `/<routePrefix>/<route or function name>` (prefix `api` by default), method filter, request and
 * response converted through the library like the worker does (no HTTP streaming). Auth levels are
 * not enforced, as in Core Tools.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RpcHttpCookie, RpcHttpData, RpcTypedData } from '../functions-core-injection.js';
import { compileRoute, type CompiledRoute } from './http-route.js';
import { describeError, type ListenerContext, type TriggerListener } from './trigger-listener.js';

interface HttpRoute {
  readonly context: ListenerContext;
  readonly route: CompiledRoute;
  readonly methods: ReadonlySet<string> | undefined;
}

function bodyBytes(data: RpcTypedData | null | undefined): Buffer {
  if (data?.bytes) return Buffer.from(data.bytes);
  if (data?.string !== undefined && data.string !== null) return Buffer.from(data.string);
  if (data?.json !== undefined && data.json !== null) return Buffer.from(data.json);
  return Buffer.alloc(0);
}

function setCookieHeader(cookie: RpcHttpCookie): string {
  const parts = [`${cookie.name ?? ''}=${cookie.value ?? ''}`];
  if (cookie.domain?.value) parts.push(`Domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`Path=${cookie.path.value}`);
  const expiresSeconds = cookie.expires?.value?.seconds;
  if (typeof expiresSeconds === 'number') parts.push(`Expires=${new Date(expiresSeconds * 1000).toUTCString()}`);
  if (typeof cookie.maxAge?.value === 'number') parts.push(`Max-Age=${cookie.maxAge.value}`);
  if (cookie.secure?.value) parts.push('Secure');
  if (cookie.httpOnly?.value) parts.push('HttpOnly');
  if (cookie.sameSite === 'lax' || cookie.sameSite === 'strict') parts.push(`SameSite=${cookie.sameSite === 'lax' ? 'Lax' : 'Strict'}`);
  if (cookie.sameSite === 'explicitNone') parts.push('SameSite=None');
  return parts.join('; ');
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export class HttpListener implements TriggerListener {
  readonly #routes: HttpRoute[];
  readonly #port: number;
  readonly #server: Server;
  readonly #inFlight = new Set<Promise<void>>();
  #url?: string;

  constructor(functions: readonly ListenerContext[], options: { port: number; routePrefix: string }) {
    const prefix = options.routePrefix.replace(/^\/+|\/+$/g, '');
    this.#routes = functions.map((context) => {
      const route = String(context.trigger.route ?? context.fn.metadata.name);
      const methods = context.trigger.methods as string[] | undefined;
      return {
        context,
        route: compileRoute(prefix === '' ? route : `${prefix}/${route}`),
        methods: methods === undefined || methods.length === 0 ? undefined : new Set(methods.map((method) => method.toUpperCase())),
      };
    });
    this.#port = options.port;
    this.#server = createServer((request, response) => {
      const work = this.#handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500);
        response.end();
        functions[0]?.log('error', `[http] ${request.method} ${request.url} failed: ${describeError(error)}`);
      });
      this.#inFlight.add(work);
      void work.finally(() => this.#inFlight.delete(work));
    });
  }

  /** `http://127.0.0.1:<port>` once started. */
  get url(): string | undefined {
    return this.#url;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    await Promise.allSettled([...this.#inFlight]);
    await closed;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.#url);
    const method = (request.method ?? 'GET').toUpperCase();
    let matched: { route: HttpRoute; params: Record<string, string> } | undefined;
    for (const route of this.#routes) {
      if (route.methods !== undefined && !route.methods.has(method)) continue;
      const params = route.route.match(url.pathname);
      if (params !== undefined) {
        matched = { route, params };
        break;
      }
    }
    if (matched === undefined) {
      response.writeHead(404).end();
      return;
    }
    const { context } = matched.route;
    const body = await readBody(request);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const query: Record<string, string> = {};
    for (const [name, value] of url.searchParams) query[name] = value;
    const http: RpcHttpData = {
      method,
      url: url.href,
      headers,
      query,
      params: matched.params,
      body: body.length > 0 ? { bytes: body } : undefined,
    };

    let returned: RpcTypedData | null | undefined;
    try {
      const outcome = await context.invoke({ inputData: [{ name: context.triggerName, data: { http } }], triggerMetadata: {} }, 1);
      returned = outcome.response.returnValue ?? outcome.response.outputData?.find((output) => output.data?.http)?.data;
    } catch (error) {
      context.log('error', `[${context.fn.metadata.name}] ${method} ${url.pathname} threw: ${describeError(error)}`);
      response.writeHead(500).end();
      return;
    }
    const result = returned?.http;
    if (result === undefined || result === null) {
      // No response from the handler: the host answers 204.
      response.writeHead(204).end();
      return;
    }
    const payload = bodyBytes(result.body);
    const outHeaders: Record<string, string | string[]> = { ...(result.headers ?? {}) };
    const cookies = (result.cookies ?? []).map(setCookieHeader);
    if (cookies.length > 0) outHeaders['set-cookie'] = cookies;
    outHeaders['content-length'] = String(payload.length);
    response.writeHead(Number(result.statusCode ?? 200), outHeaders);
    response.end(payload);
  }
}
