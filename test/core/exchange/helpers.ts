/** A real Broker over a MemoryStore with a ManualClock, and small helpers for exchange tests. */
import { Broker, type BrokerOptions } from '../../../src/core/broker.js';
import { ManualClock } from '../../../src/core/clock.js';
import { isBrokerError } from '../../../src/core/errors.js';
import type { ExchangeSpec, ExchangeType } from '../../../src/core/exchange/types.js';
import { createMessage, type Message } from '../../../src/core/message.js';
import type { Store } from '../../../src/core/store.js';
import { MemoryStore } from '../../../src/store/memory-store.js';

export async function openBroker(store: Store = new MemoryStore(), opts: Partial<BrokerOptions> = {}): Promise<Broker> {
  await store.open();
  return Broker.open({ store, clock: new ManualClock(), ...opts });
}

export function spec(type: ExchangeType, over: Partial<ExchangeSpec> = {}): ExchangeSpec {
  return { type, durable: true, autoDelete: false, internal: false, arguments: {}, ...over };
}

export function msg(body: string, headers: Message['headers'] = {}): Message {
  return createMessage(body, { headers });
}

/** Bodies of every message now visible in the queue (received, then deleted). */
export async function drainQueue(broker: Broker, name: string): Promise<string[]> {
  const q = broker.requireQueue(name);
  const out: string[] = [];
  for (;;) {
    const got = await q.receive({ max: 10, waitMs: 0 });
    if (got.length === 0) return out;
    for (const r of got) {
      out.push(r.message.body.toString());
      await q.deleteMessage(r.receipt);
    }
  }
}

export async function errorCode(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return isBrokerError(err) ? err.code : `OTHER: ${String(err)}`;
  }
  return undefined;
}

export const queueDest = (name: string) => ({ kind: 'queue' as const, name });
export const exchangeDest = (name: string) => ({ kind: 'exchange' as const, name });
