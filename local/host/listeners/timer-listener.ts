/**
 * `app.timer` locally: NCRONTAB or TimeSpan schedules in UTC, `runOnStartup`, the timer argument
 * `{ isPastDue, schedule, scheduleStatus }` and the function's retry policy. Like Azure, only one
 * process of an app (same hostId) runs a timer: the one holding the listener lock in
 * `azure-webjobs-hosts` (without AzureWebJobsStorage every host runs it). The schedule status is
 * kept in memory, where Azure keeps it in storage (`useMonitor`).
 */
import { toDotNetDateTimeOffset } from '../rpc-typed-data.js';
import { parseSchedule, type Schedule } from './ncrontab.js';
import { invokeWithRetryPolicy } from './retry-policy.js';
import { SingletonLock } from './singleton-lock.js';
import { describeError, sleep, type ListenerContext, type TriggerListener } from './trigger-listener.js';

/** A tick this much later than planned counts as past due. */
const PAST_DUE_AFTER_MS = 1_000;

export class TimerListener implements TriggerListener {
  readonly #context: ListenerContext;
  readonly #schedule: Schedule;
  readonly #abort = new AbortController();
  readonly #lock: SingletonLock | undefined;
  #last: Date | undefined;
  #loop?: Promise<void>;

  constructor(context: ListenerContext, options: { lockRetryMs?: number } = {}) {
    this.#context = context;
    this.#schedule = parseSchedule(String(context.trigger.schedule));
    const storage = process.env.AzureWebJobsStorage;
    this.#lock =
      storage === undefined || storage === ''
        ? undefined
        : new SingletonLock(storage, `locks/${context.hostId}/${context.fn.metadata.name}.Listener`, context.log, options.lockRetryMs);
  }

  async start(): Promise<void> {
    await this.#lock?.start();
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    await this.#lock?.stop();
  }

  get #mayRun(): boolean {
    return this.#lock === undefined || this.#lock.held;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    if (this.#context.trigger.runOnStartup === true && this.#mayRun) await this.#tick(new Date(), new Date());
    let planned = this.#schedule.next(new Date());
    while (!signal.aborted) {
      await sleep(Math.max(0, planned.getTime() - Date.now()), signal);
      if (signal.aborted) break;
      const now = new Date();
      if (this.#mayRun) await this.#tick(planned, now);
      planned = this.#schedule.next(now);
    }
  }

  async #tick(planned: Date, now: Date): Promise<void> {
    const next = this.#schedule.next(now);
    const timer = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: {
        Last: toDotNetDateTimeOffset(this.#last ?? new Date(0)),
        Next: toDotNetDateTimeOffset(next),
        LastUpdated: toDotNetDateTimeOffset(now),
      },
      IsPastDue: now.getTime() - planned.getTime() > PAST_DUE_AFTER_MS,
    };
    try {
      await invokeWithRetryPolicy(
        this.#context,
        { inputData: [{ name: this.#context.triggerName, data: { json: JSON.stringify(timer) } }], triggerMetadata: {} },
        1,
        this.#abort.signal,
      );
    } catch (error) {
      this.#context.log('error', `[${this.#context.fn.metadata.name}] timer invocation failed: ${describeError(error)}`);
    }
    this.#last = now;
  }
}
