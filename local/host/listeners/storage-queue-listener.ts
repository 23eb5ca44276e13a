/**
 * `app.storageQueue` locally, with the Storage Queues extension's semantics: poll with backoff,
 * fetch up to `batchSize` messages and run them at once, fetch more when in-flight work drops to
 * `newBatchThreshold`, decode base64, keep a message invisible while its handler runs, delete it on
 * success, make it visible again after `visibilityTimeout` on failure, and move it to
 * `<queue>-poison` once it has been dequeued `maxDequeueCount` times.
 */
import { QueueServiceClient, type DequeuedMessageItem, type QueueClient } from '@azure/storage-queue';
import { resolveBindingExpression, resolveConnectionString } from '../binding-settings.js';
import { toRpcTriggerMetadata } from '../rpc-typed-data.js';
import { describeError, sleep, worthLogging, type ListenerContext, type TriggerListener } from './trigger-listener.js';

/** How long a message stays invisible while its handler runs; renewed at half-time (as the host does). */
const PROCESSING_VISIBILITY_SECONDS = 600;
const FIRST_POLL_DELAY_MS = 100;

export interface StorageQueueListenerOptions {
  /** Overrides the processing visibility timeout (tests). */
  readonly processingVisibilitySeconds?: number;
}

/** Base64 as the extension accepts it: standard alphabet, padded. */
function decodeBase64Message(text: string): string | undefined {
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}

export class StorageQueueListener implements TriggerListener {
  readonly #context: ListenerContext;
  readonly #processingVisibilitySeconds: number;
  readonly #abort = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  #queue?: QueueClient;
  #poison?: QueueClient;
  #loop?: Promise<void>;

  constructor(context: ListenerContext, options: StorageQueueListenerOptions = {}) {
    this.#context = context;
    this.#processingVisibilitySeconds = options.processingVisibilitySeconds ?? PROCESSING_VISIBILITY_SECONDS;
  }

  get queueName(): string {
    return this.#queue?.name ?? '';
  }

  async start(): Promise<void> {
    const { trigger } = this.#context;
    const queueName = resolveBindingExpression(String(trigger.queueName)).toLowerCase();
    const connection = resolveConnectionString(trigger.connection as string | undefined, 'AzureWebJobsStorage');
    const service = QueueServiceClient.fromConnectionString(connection);
    this.#queue = service.getQueueClient(queueName);
    this.#poison = service.getQueueClient(`${queueName}-poison`);
    await this.#queue.createIfNotExists();
    this.#loop = this.#pollLoop(this.#queue);
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    await Promise.allSettled([...this.#inFlight]);
  }

  async #pollLoop(queue: QueueClient): Promise<void> {
    const { config, log, fn } = this.#context;
    const { batchSize, maxPollingInterval } = config.extensions.queues;
    const newBatchThreshold = config.extensions.queues.newBatchThreshold ?? Math.floor(batchSize / 2);
    const signal = this.#abort.signal;
    let delay = FIRST_POLL_DELAY_MS;
    let failures = 0;
    while (!signal.aborted) {
      if (this.#inFlight.size > newBatchThreshold) {
        await Promise.race(this.#inFlight);
        continue;
      }
      let messages: DequeuedMessageItem[];
      try {
        const response = await queue.receiveMessages({
          // A full batch each time, as the extension does: at most batchSize + newBatchThreshold run at once.
          numberOfMessages: batchSize,
          visibilityTimeout: this.#processingVisibilitySeconds,
          abortSignal: signal,
        });
        messages = response.receivedMessageItems;
      } catch (error) {
        if (signal.aborted) break;
        failures += 1;
        if (worthLogging(failures)) {
          log(
            'warning',
            `[${fn.metadata.name}] receiving from queue ${queue.name} failed (${failures} in a row), retrying: ${describeError(error)}`,
          );
        }
        await sleep(delay, signal);
        delay = Math.min(delay * 2, Math.max(maxPollingInterval, FIRST_POLL_DELAY_MS));
        continue;
      }
      if (failures > 0) {
        log('information', `[${fn.metadata.name}] queue ${queue.name} reachable again after ${failures} failed polls`);
        failures = 0;
      }
      if (messages.length === 0) {
        await sleep(delay, signal);
        delay = Math.min(delay * 2, Math.max(maxPollingInterval, FIRST_POLL_DELAY_MS));
        continue;
      }
      delay = FIRST_POLL_DELAY_MS;
      for (const message of messages) {
        const work = this.#process(queue, message).catch((error: unknown) =>
          log('error', `[${fn.metadata.name}] queue message ${message.messageId} was not settled: ${describeError(error)}`),
        );
        this.#inFlight.add(work);
        void work.finally(() => this.#inFlight.delete(work));
      }
    }
  }

  async #process(queue: QueueClient, message: DequeuedMessageItem): Promise<void> {
    const { config, log, fn, triggerName } = this.#context;
    const { maxDequeueCount, visibilityTimeout, messageEncoding } = config.extensions.queues;
    const name = fn.metadata.name;
    const text = messageEncoding === 'base64' ? decodeBase64Message(message.messageText) : message.messageText;
    if (text === undefined) {
      log('error', `[${name}] message ${message.messageId} on ${queue.name} is not valid base64: moved to the poison queue.`);
      await this.#moveToPoison(queue, message, message.popReceipt);
      return;
    }
    if (message.dequeueCount > maxDequeueCount) {
      await this.#moveToPoison(queue, message, message.popReceipt);
      return;
    }

    const lease = this.#keepInvisible(queue, message);
    let failed = false;
    try {
      await this.#context.invoke(
        {
          inputData: [{ name: triggerName, data: { string: text } }],
          triggerMetadata: toRpcTriggerMetadata({
            QueueTrigger: text,
            DequeueCount: message.dequeueCount,
            ExpirationTime: message.expiresOn,
            Id: message.messageId,
            InsertionTime: message.insertedOn,
            NextVisibleTime: lease.nextVisibleOn,
            PopReceipt: lease.popReceipt,
          }),
        },
        1,
      );
    } catch (error) {
      failed = true;
      log(
        'warning',
        `[${name}] message ${message.messageId} failed (dequeue count ${message.dequeueCount}/${maxDequeueCount}): ${describeError(error)}`,
      );
    } finally {
      await lease.stop();
    }
    const popReceipt = lease.popReceipt;

    if (!failed) {
      await queue.deleteMessage(message.messageId, popReceipt);
    } else if (message.dequeueCount >= maxDequeueCount) {
      await this.#moveToPoison(queue, message, popReceipt);
    } else {
      await queue.updateMessage(message.messageId, popReceipt, undefined, Math.round(visibilityTimeout / 1000));
    }
  }

  /**
   * Keeps the message invisible while the handler runs, renewing at half the processing visibility;
   * every renewal hands out a new pop receipt. `stop` ends the renewals and waits for one under way.
   */
  #keepInvisible(
    queue: QueueClient,
    message: DequeuedMessageItem,
  ): { readonly popReceipt: string; readonly nextVisibleOn: Date; stop(): Promise<void> } {
    const { log, fn } = this.#context;
    let popReceipt = message.popReceipt;
    let nextVisibleOn = message.nextVisibleOn;
    const renewEveryMs = (this.#processingVisibilitySeconds * 1000) / 2;
    let renewing: Promise<void> | undefined;
    const renewal = setInterval(() => {
      renewing = queue
        .updateMessage(message.messageId, popReceipt, undefined, this.#processingVisibilitySeconds)
        .then((updated) => {
          popReceipt = updated.popReceipt ?? popReceipt;
          nextVisibleOn = updated.nextVisibleOn ?? nextVisibleOn;
        })
        .catch((error: unknown) =>
          log('warning', `[${fn.metadata.name}] renewing message ${message.messageId} failed: ${describeError(error)}`),
        );
    }, renewEveryMs);
    return {
      get popReceipt() {
        return popReceipt;
      },
      get nextVisibleOn() {
        return nextVisibleOn;
      },
      stop: async () => {
        clearInterval(renewal);
        // A renewal still under way would hand out a new pop receipt after we settle with the old one.
        await renewing;
      },
    };
  }

  async #moveToPoison(queue: QueueClient, message: DequeuedMessageItem, popReceipt: string): Promise<void> {
    const poison = this.#poison;
    if (poison === undefined) return;
    await poison.createIfNotExists();
    // The stored text as it is (still encoded), so the poison message reads like the original.
    await poison.sendMessage(message.messageText);
    await queue.deleteMessage(message.messageId, popReceipt);
    this.#context.log('error', `[${this.#context.fn.metadata.name}] message ${message.messageId} moved to ${poison.name}.`);
  }
}
