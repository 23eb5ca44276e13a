/**
 * What every trigger listener gets from the host, and what the host asks of it. A listener turns
 * its source (a queue, a hub, a socket, a clock) into invocations of one registered function.
 */
import type { BindingInfo, RegisteredFunction } from '../functions-core-injection.js';
import type { HostConfig } from '../host-json.js';
import type { HostLog, InvocationOutcome, InvocationRequest } from '../invoke-function.js';

export interface ListenerContext {
  readonly fn: RegisteredFunction;
  /** Binding name of the trigger (the library names it `<type>Trigger<hash>` unless given). */
  readonly triggerName: string;
  readonly trigger: BindingInfo;
  readonly config: HostConfig;
  readonly hostId: string;
  readonly instanceId: string;
  readonly log: HostLog;
  /** Invokes the function; counts it; rethrows the handler's error. `items` = messages or events delivered. */
  invoke(request: InvocationRequest, items: number): Promise<InvocationOutcome>;
}

export interface TriggerListener {
  /** Starts listening; resolves once the listener is ready (connected, socket bound). */
  start(): Promise<void>;
  /** Stops taking new work, waits for invocations in flight, releases everything. */
  stop(): Promise<void>;
}

/** Waits `ms` (none when it is negative: a time already past), or less if the signal aborts; never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((done) => {
    if (signal?.aborted) return done();
    const timer = setTimeout(finish, Math.max(0, ms));
    function finish(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      done();
    }
    signal?.addEventListener('abort', finish, { once: true });
  });
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * Whether the nth consecutive failure deserves a log line: the 1st, 10th, 100th… so an outage is
 * reported without a line per poll.
 */
export function worthLogging(consecutiveFailures: number): boolean {
  return consecutiveFailures > 0 && Number.isInteger(Math.log10(consecutiveFailures));
}
