import { Broker } from '../../../src/core/broker.js';
import { ManualClock } from '../../../src/core/clock.js';
import type { Store } from '../../../src/core/store.js';
import { createMessage, type Message } from '../../../src/core/message.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { Queue, type QueueDeps } from '../../../src/core/queue/queue.js';
import { parseQueueAttributes } from '../../../src/core/queue/queue-attributes.js';
import type { QueueDelivery } from '../../../src/core/queue/types.js';

export interface Harness {
  clock: ManualClock;
  store: MemoryStore;
  queues: Map<string, Queue>;
  open(name: string, attrs?: Record<string, unknown>, extra?: Partial<QueueDeps>): Promise<Queue>;
}

export async function harness(clock = new ManualClock(), store = new MemoryStore()): Promise<Harness> {
  await store.open();
  const queues = new Map<string, Queue>();
  return {
    clock,
    store,
    queues,
    async open(name, attrs = {}, extra = {}) {
      const q = await Queue.open({
        name,
        attributes: parseQueueAttributes(name, attrs),
        store,
        clock,
        deadLetter: (n) => queues.get(n),
        ...extra,
      });
      queues.set(name, q);
      return q;
    },
  };
}

/** Let microtasks (scheduled dispatch) and resolved promises run. No real time passes that matters. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function msg(body: string, init: Partial<Omit<Message, 'body'>> = {}): Message {
  return createMessage(body, init);
}

export function bodies(list: Array<{ message: Message }>): string[] {
  return list.map((m) => m.message.body.toString());
}

/** Track whether a promise has settled yet. */
export function track<T>(p: Promise<T>): { done: () => boolean; value: () => T | undefined } {
  let done = false;
  let value: T | undefined;
  p.then((v) => { done = true; value = v; }, () => { done = true; });
  return { done: () => done, value: () => value };
}

/** A push consumer that records deliveries. */
export function recorder(): { got: QueueDelivery[]; onMessage: (d: QueueDelivery) => void; bodies: () => string[] } {
  const got: QueueDelivery[] = [];
  return { got, onMessage: (d) => { got.push(d); }, bodies: () => got.map((d) => d.message.body.toString()) };
}

/** A real Broker on a MemoryStore (or the given store) and a ManualClock. */
export async function brokerHarness(store: Store = new MemoryStore(), clock = new ManualClock()): Promise<{ broker: Broker; clock: ManualClock; store: Store }> {
  await store.open();
  const broker = await Broker.open({ store, clock });
  return { broker, clock, store };
}
