/**
 * The simulation's clock and agenda: actions scheduled at simulated times, run in time order (and
 * in scheduling order at equal times, so a run is the same every time). No wall clock anywhere.
 */

interface Scheduled {
  readonly at: number;
  readonly order: number;
  readonly action: () => void;
}

export class EventQueue {
  readonly #heap: Scheduled[] = [];
  #order = 0;
  #now = 0;

  /** Simulated seconds since the start. */
  get now(): number {
    return this.#now;
  }

  /** Runs `action` at `at` seconds (not before now). */
  at(at: number, action: () => void): void {
    if (!Number.isFinite(at)) throw new RangeError(`cannot schedule at ${at}`);
    this.#push({ at: Math.max(at, this.#now), order: this.#order++, action });
  }

  /** Runs `action` after `delay` seconds. */
  after(delay: number, action: () => void): void {
    this.at(this.#now + Math.max(0, delay), action);
  }

  /** Time of the next action, or undefined when nothing is scheduled. */
  peek(): number | undefined {
    return this.#heap[0]?.at;
  }

  /** Runs actions in order until none is left or the next is later than `until`; the clock ends at `until` at most. */
  runUntil(until: number): void {
    while (this.#heap.length > 0 && this.#heap[0]!.at <= until) {
      const next = this.#pop();
      this.#now = next.at;
      next.action();
    }
    if (until > this.#now && Number.isFinite(until)) this.#now = until;
  }

  #less(a: Scheduled, b: Scheduled): boolean {
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }

  #push(item: Scheduled): void {
    const heap = this.#heap;
    heap.push(item);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.#less(heap[index]!, heap[parent]!)) break;
      [heap[index], heap[parent]] = [heap[parent]!, heap[index]!];
      index = parent;
    }
  }

  #pop(): Scheduled {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        const right = left + 1;
        let smallest = index;
        if (left < heap.length && this.#less(heap[left]!, heap[smallest]!)) smallest = left;
        if (right < heap.length && this.#less(heap[right]!, heap[smallest]!)) smallest = right;
        if (smallest === index) break;
        [heap[index], heap[smallest]] = [heap[smallest]!, heap[index]!];
        index = smallest;
      }
    }
    return top;
  }
}
