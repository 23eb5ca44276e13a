/**
 * The parts of `host.json` the local host honours, validated once and turned into a readonly,
 * defaulted config. Defaults are the Azure ones (docs/functions-host.md, "host.json defaults"), except
 * where a machine shared with the rest of the stack is better served otherwise; each exception says so.
 */
import { z } from 'zod';
import { HostError } from './host-error.js';

/** .NET TimeSpan text (`[d.]hh:mm:ss[.fff]`) to milliseconds. */
export function parseTimeSpan(text: string): number {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?$/.exec(text.trim());
  if (!match) throw new HostError('INVALID_CONFIG', `"${text}" is not a TimeSpan (expected [d.]hh:mm:ss[.fff]).`);
  const [, days, hours, minutes, seconds, fraction] = match;
  const fractionMs = fraction === undefined ? 0 : Number(`0.${fraction}`) * 1000;
  return ((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 + Number(seconds) * 1000 + fractionMs;
}

const timeSpan = z.string().transform((text, context) => {
  try {
    return parseTimeSpan(text);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const eventHubsSchema = z
  .object({
    maxEventBatchSize: z.number().int().positive().default(100),
    minEventBatchSize: z.number().int().positive().default(1),
    maxWaitTime: timeSpan.default(60_000),
    batchCheckpointFrequency: z.number().int().positive().default(1),
    prefetchCount: z.number().int().nonnegative().default(300),
    initialOffsetOptions: z
      .object({
        type: z.enum(['fromStart', 'fromEnd', 'fromEnqueuedTime']).default('fromStart'),
        enqueuedTimeUtc: z.string().optional(),
      })
      .default({ type: 'fromStart' }),
    // The extension's defaults (EventHubsRetryOptions). The JS SDK's own would wait 30 s between
    // attempts, so a consumer came back long after the hub did (docs/fault-injection.md).
    clientRetryOptions: z
      .object({
        mode: z.enum(['exponential', 'fixed']).default('exponential'),
        tryTimeout: timeSpan.default(60_000),
        delay: timeSpan.default(800),
        maximumDelay: timeSpan.default(60_000),
        maximumRetries: z.number().int().nonnegative().default(3),
      })
      .default({ mode: 'exponential', tryTimeout: 60_000, delay: 800, maximumDelay: 60_000, maximumRetries: 3 }),
  })
  .loose();

const queuesSchema = z
  .object({
    // Azure's default batch is 16; a laptop running several hosts is better served by 4.
    batchSize: z.number().int().min(1).max(32).default(4),
    newBatchThreshold: z.number().int().nonnegative().optional(),
    // Azure backs off to one minute between empty polls; locally one second keeps the demo lively.
    maxPollingInterval: timeSpan.default(1_000),
    visibilityTimeout: timeSpan.default(0),
    maxDequeueCount: z.number().int().positive().default(5),
    messageEncoding: z.enum(['base64', 'none']).default('base64'),
  })
  .loose();

const blobsSchema = z
  .object({
    // Azure allows 8 per core; a laptop sharing its cores with the rest of the stack is better served by 4.
    maxDegreeOfParallelism: z.number().int().positive().default(4),
    poisonBlobThreshold: z.number().int().positive().default(5),
  })
  .loose();

const hostJsonSchema = z
  .object({
    version: z.string().optional(),
    functionTimeout: timeSpan.optional(),
    extensions: z
      .object({
        eventHubs: eventHubsSchema.default(eventHubsSchema.parse({})),
        queues: queuesSchema.default(queuesSchema.parse({})),
        blobs: blobsSchema.default(blobsSchema.parse({})),
        http: z
          .object({ routePrefix: z.string().default('api') })
          .loose()
          .default({ routePrefix: 'api' }),
      })
      .loose()
      .default({
        eventHubs: eventHubsSchema.parse({}),
        queues: queuesSchema.parse({}),
        blobs: blobsSchema.parse({}),
        http: { routePrefix: 'api' },
      }),
  })
  .loose();

/** `host.json` as written (parsed JSON); `parseHostJson` validates the parts the host reads. */
export type HostJson = Readonly<Record<string, unknown>>;
export type HostConfig = Readonly<z.output<typeof hostJsonSchema>>;
export type EventHubsHostConfig = HostConfig['extensions']['eventHubs'];
export type QueuesHostConfig = HostConfig['extensions']['queues'];

export function parseHostJson(hostJson: unknown = {}): HostConfig {
  const parsed = hostJsonSchema.safeParse(hostJson ?? {});
  if (!parsed.success) {
    throw new HostError('INVALID_CONFIG', `host.json is invalid: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
