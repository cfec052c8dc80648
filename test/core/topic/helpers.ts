import { ManualClock } from '../../../src/core/clock.js';
import { createMessage, type Message } from '../../../src/core/message.js';
import { TopicRouter, type LiveSink, type TopicMessage } from '../../../src/core/topic/topic-router.js';
import { MemoryStore } from '../../../src/store/memory-store.js';

export interface Enqueued {
  queue: string;
  m: TopicMessage;
}

export type EnqueueImpl = (queue: string, m: TopicMessage) => Promise<unknown>;

export interface Harness {
  store: MemoryStore;
  clock: ManualClock;
  router: TopicRouter;
  /** Copies handed to the enqueue target, in call order. */
  enqueued: Enqueued[];
  /** Replace how the enqueue target answers (default: resolves at once). */
  setEnqueue(impl: EnqueueImpl): void;
  /** A fresh router over the same store and clock (a restart). */
  restart(opts?: { isFifoQueue?: (q: string) => boolean }): TopicRouter;
}

export async function harness(opts: { store?: MemoryStore; clock?: ManualClock; isFifoQueue?: (q: string) => boolean } = {}): Promise<Harness> {
  const store = opts.store ?? new MemoryStore();
  await store.open();
  const clock = opts.clock ?? new ManualClock();
  const enqueued: Enqueued[] = [];
  let impl: EnqueueImpl = async () => undefined;
  const enqueue = (queue: string, m: TopicMessage): Promise<unknown> => {
    enqueued.push({ queue, m });
    return impl(queue, m);
  };
  const make = (isFifoQueue?: (q: string) => boolean): TopicRouter =>
    new TopicRouter({ store, clock, enqueue, ...(isFifoQueue ? { isFifoQueue } : {}) });
  return {
    store,
    clock,
    router: make(opts.isFifoQueue),
    enqueued,
    setEnqueue: (next) => { impl = next; },
    restart: (o = {}) => make(o.isFifoQueue ?? opts.isFifoQueue),
  };
}

export class Sink implements LiveSink {
  readonly got: TopicMessage[] = [];
  accept = true;
  offer(m: TopicMessage): boolean {
    if (!this.accept) return false;
    this.got.push(m);
    return true;
  }
  bodies(): string[] {
    return this.got.map((m) => m.message.body.toString());
  }
}

export function msg(body: string, init: Partial<Omit<Message, 'body'>> = {}): Message {
  return createMessage(body, init);
}

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Let every pending promise callback run (one macrotask turn; no timers involved). */
export function drain(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** Track whether a promise has settled yet. */
export function track<T>(p: Promise<T>): { settled: () => boolean; promise: Promise<T> } {
  let done = false;
  p.then(() => { done = true; }, () => { done = true; });
  return { settled: () => done, promise: p };
}
