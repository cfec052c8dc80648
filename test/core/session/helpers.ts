/** A real Broker over a MemoryStore with a ManualClock, and sessions on it. */
import { Broker } from '../../../src/core/broker.js';
import { ManualClock } from '../../../src/core/clock.js';
import { createSession, type SessionOptions } from '../../../src/core/session/server-session.js';
import type { ConsumerCallback, Delivery } from '../../../src/core/session/types.js';
import { SecurityManager, type Principal } from '../../../src/security/security-manager.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import type { AclEntry } from '../../../src/config/schema.js';

export const ANON: Principal = { name: 'anonymous', anonymous: true, groups: [] };
export const ALICE: Principal = { name: 'alice', anonymous: false, groups: [] };

export async function openBroker(store = new MemoryStore()): Promise<{ broker: Broker; store: MemoryStore; clock: ManualClock }> {
  await store.open();
  const clock = new ManualClock();
  const broker = await Broker.open({ store, clock });
  return { broker, store, clock };
}

let n = 0;

export function session(broker: Broker, opts: Partial<SessionOptions> & { acl?: AclEntry[] } = {}) {
  n += 1;
  const security = new SecurityManager({ users: [], acl: opts.acl ?? [], anonymous: 'always' });
  return createSession({ broker, security, principal: ANON, protocol: 'test', connectionId: `conn-${n}`, ...opts });
}

/** A callback recording deliveries (and optionally reacting to each). */
export function recorder(onDeliver?: (d: Delivery) => void): ConsumerCallback & { got: Delivery[]; endings: string[] } {
  const got: Delivery[] = [];
  const endings: string[] = [];
  return {
    got,
    endings,
    deliver(d) {
      got.push(d);
      onDeliver?.(d);
    },
    ended(reason) {
      endings.push(reason);
    },
  };
}

/** Let queue dispatch (microtasks) and store commits (immediates) run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

export function bodies(ds: Delivery[]): string[] {
  return ds.map((d) => d.message.body.toString());
}
