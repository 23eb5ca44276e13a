/** Counters the host keeps per function, for tests, `npm start`'s progress line and the local scaler. */

export interface FunctionStats {
  /** Handler calls, retries included. */
  invocations: number;
  /** Handler calls that threw. */
  failures: number;
  /** Items delivered: queue messages, events, requests, timer ticks. */
  events: number;
}

export interface HostStats {
  readonly functions: Readonly<Record<string, Readonly<FunctionStats>>>;
  readonly invocationsInFlight: number;
}

export class HostStatsCounter {
  readonly #functions = new Map<string, FunctionStats>();
  #inFlight = 0;

  #of(name: string): FunctionStats {
    let stats = this.#functions.get(name);
    if (stats === undefined) {
      stats = { invocations: 0, failures: 0, events: 0 };
      this.#functions.set(name, stats);
    }
    return stats;
  }

  register(name: string): void {
    this.#of(name);
  }

  started(name: string, events: number): void {
    const stats = this.#of(name);
    stats.invocations += 1;
    stats.events += events;
    this.#inFlight += 1;
  }

  finished(name: string, outcome: { readonly failed: boolean }): void {
    if (outcome.failed) this.#of(name).failures += 1;
    this.#inFlight -= 1;
  }

  snapshot(): HostStats {
    const functions: Record<string, FunctionStats> = {};
    for (const [name, stats] of this.#functions) functions[name] = { ...stats };
    return { functions, invocationsInFlight: this.#inFlight };
  }
}
