/**
 * Our stand-in for `@azure/functions-core`, the module the Azure Functions Node.js worker injects
 * into every app. `@azure/functions` calls `require('@azure/functions-core').registerFunction(…)`
 * for every `app.*` call and hands over its own programming model; we answer that `require` from
 * here, so the very same registrations Azure runs land in our registry.
 *
 * The state lives on `globalThis` under a symbol: under vitest this file can be evaluated more than
 * once per process, while `@azure/functions` (loaded natively) caches the core API once.
 */
import { createRequire } from 'node:module';
import { HostError } from './host-error.js';

/** One binding as `@azure/functions` describes it: its options plus type and direction. */
export interface BindingInfo {
  readonly type: string;
  readonly direction: 'in' | 'out' | 'inout';
  readonly dataType?: string;
  readonly [option: string]: unknown;
}

export interface RetryOptions {
  readonly retryStrategy?: string;
  readonly maxRetryCount?: number;
  readonly delayInterval?: { seconds?: number; nanos?: number };
  readonly minimumInterval?: { seconds?: number; nanos?: number };
  readonly maximumInterval?: { seconds?: number; nanos?: number };
}

export interface FunctionMetadata {
  readonly name: string;
  readonly bindings: Readonly<Record<string, BindingInfo>>;
  readonly retryOptions?: RetryOptions;
}

export type FunctionCallback = (...args: unknown[]) => unknown;

export interface RegisteredFunction {
  readonly metadata: FunctionMetadata;
  readonly callback: FunctionCallback;
}

/** The slice of the library's ProgrammingModel / InvocationModel the host drives, as the worker does. */
export interface InvocationModelLike {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}
export interface ProgrammingModelLike {
  readonly name: string;
  readonly version: string;
  getInvocationModel(coreContext: CoreInvocationContext): InvocationModelLike | Promise<InvocationModelLike>;
}

/** RPC shapes of the worker protocol, as far as the host fills or reads them. */
export interface RpcTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  http?: RpcHttpData | null;
  int?: number | null;
  double?: number | null;
  collectionString?: { string: string[] } | null;
  collectionBytes?: { bytes: Uint8Array[] } | null;
  collectionSint64?: { sint64: number[] } | null;
  collectionDouble?: { double: number[] } | null;
}
export interface RpcHttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  body?: RpcTypedData | null;
  params?: Record<string, string> | null;
  query?: Record<string, string> | null;
  statusCode?: string | null;
  cookies?: RpcHttpCookie[] | null;
}
export interface RpcHttpCookie {
  name?: string | null;
  value?: string | null;
  domain?: { value?: string | null } | null;
  path?: { value?: string | null } | null;
  expires?: { value?: { seconds?: number | null } | null } | null;
  secure?: { value?: boolean | null } | null;
  httpOnly?: { value?: boolean | null } | null;
  sameSite?: string | number | null;
  maxAge?: { value?: number | null } | null;
}
export interface RpcInvocationRequest {
  invocationId: string;
  functionId?: string;
  inputData: Array<{ name: string; data: RpcTypedData | null }>;
  triggerMetadata: Record<string, RpcTypedData>;
  retryContext?: { retryCount: number; maxRetryCount: number; exception?: { message?: string; stackTrace?: string } };
  traceContext?: { traceParent?: string; traceState?: string; attributes?: Record<string, string> };
}
export interface RpcInvocationResponse {
  invocationId?: string;
  outputData?: Array<{ name?: string | null; data?: RpcTypedData | null }> | null;
  returnValue?: RpcTypedData | null;
}
export type InvocationState = 'preInvocationHooks' | 'postInvocationHooks' | 'invocation' | undefined;
export interface CoreInvocationContext {
  invocationId: string;
  request: RpcInvocationRequest;
  metadata: FunctionMetadata;
  state?: InvocationState;
  log(level: string, category: string, message: string): void;
}

export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation';
export type HookCallback = (context: Record<string, unknown>) => unknown;

interface CoreState {
  readonly functions: Map<string, RegisteredFunction>;
  readonly hooks: Map<string, HookCallback[]>;
  /** Which functions each entry module registered, so a second host in this process finds them again. */
  readonly entryFunctions: Map<string, string[]>;
  readonly appHookData: Record<string, unknown>;
  programmingModel?: ProgrammingModelLike;
  /** Receives system logs of `@azure/functions`; the running host points it at its own log. */
  systemLog: (level: string, message: string) => void;
  installed: boolean;
}

const STATE_KEY = Symbol.for('scalable-etl.local-host.functions-core');
const MODULE_ID = '@azure/functions-core';
/** Key of the fake module in Node's CJS cache; not a path, so it can never clash with a real file. */
const CACHE_KEY = '\0scalable-etl:@azure/functions-core';

export function coreState(): CoreState {
  const holder = globalThis as unknown as Record<symbol, CoreState | undefined>;
  holder[STATE_KEY] ??= {
    functions: new Map(),
    hooks: new Map(),
    entryFunctions: new Map(),
    appHookData: {},
    systemLog: (level, message) => console.log(`[functions ${level}] ${message}`),
    installed: false,
  };
  return holder[STATE_KEY];
}

function coreApi(state: CoreState): Record<string, unknown> {
  return {
    version: '4.0.0-local',
    hostVersion: '4.0.0-local',
    registerFunction(metadata: FunctionMetadata, callback: FunctionCallback) {
      if (state.functions.has(metadata.name)) {
        // The worker refuses duplicates too; two registrations under one name would be ambiguous.
        throw new HostError('INVALID_CONFIG', `A function named "${metadata.name}" is already registered.`);
      }
      state.functions.set(metadata.name, { metadata, callback });
      return { dispose: () => state.functions.delete(metadata.name) };
    },
    setProgrammingModel(model: ProgrammingModelLike) {
      state.programmingModel = model;
    },
    getProgrammingModel() {
      return state.programmingModel;
    },
    registerHook(hookName: string, callback: HookCallback) {
      const known: readonly string[] = ['appStart', 'appTerminate', 'preInvocation', 'postInvocation'];
      if (!known.includes(hookName)) {
        // The library maps a RangeError to "requires a newer host", which is the truth here.
        throw new RangeError(`The local functions host does not support "${hookName}" hooks.`);
      }
      const list = state.hooks.get(hookName) ?? [];
      list.push(callback);
      state.hooks.set(hookName, list);
      return {
        dispose: () => {
          const index = list.indexOf(callback);
          if (index >= 0) list.splice(index, 1);
        },
      };
    },
    log(level: string, _category: string, message: string) {
      state.systemLog(level, message);
    },
  };
}

/**
 * Makes `require('@azure/functions-core')` answer with our core API in this process, whoever asks
 * (CJS or ESM importers, plain Node, tsx or vitest: all of them reach `@azure/functions`' bundled
 * `require`, which goes through Node's CJS resolver). Idempotent.
 */
export function installFunctionsCore(): CoreState {
  const state = coreState();
  if (state.installed) return state;
  const require = createRequire(import.meta.url);
  const Module = require('node:module') as {
    _resolveFilename: (request: string, ...rest: unknown[]) => string;
    _cache: Record<string, unknown>;
  };
  const fake = new (require('node:module') as new (id: string) => { exports: unknown; loaded: boolean; filename: string })(CACHE_KEY);
  fake.exports = coreApi(state);
  fake.loaded = true;
  fake.filename = CACHE_KEY;
  Module._cache[CACHE_KEY] = fake;
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function resolveWithFunctionsCore(this: unknown, request: string, ...rest: unknown[]) {
    if (request === MODULE_ID) return CACHE_KEY;
    return resolve.call(this, request, ...rest);
  };
  state.installed = true;
  return state;
}

/** Runs the registered hooks of one kind in registration order, as the worker does. */
export async function runHooks(hookName: HookName, context: Record<string, unknown>): Promise<void> {
  for (const callback of [...(coreState().hooks.get(hookName) ?? [])]) {
    await callback(context);
  }
}
