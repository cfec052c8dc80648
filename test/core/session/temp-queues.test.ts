/** ServerSession.reserveTemporaryQueue: a temp queue whose core name is known synchronously (AMQP 1.0 dynamic sources). */
import { describe, expect, it } from 'vitest';
import { createMessage } from '../../../src/core/message.js';
import { openBroker, recorder, session, settle } from './helpers.js';

describe('reserveTemporaryQueue', () => {
  it('names the queue at once, owns it before it exists (no grant needed), deletes it early or on close', async () => {
    const { broker } = await openBroker();
    const s = session(broker, { acl: [{ principal: 'bob', pattern: '>', allow: ['read'], kinds: ['queue'] }] });
    const { name, queue } = s.reserveTemporaryQueue();
    expect(name).toMatch(/^temp\.[0-9a-f]{32}$/);
    expect(s.may('write', { kind: 'queue', name })).toBe(true);
    expect((await queue).name).toBe(name);
    const rec = recorder();
    await s.createConsumer({ source: { kind: 'queue', name }, ack: 'individual' }, rec);
    await s.send({ address: { kind: 'queue', name }, message: createMessage('x') });
    await settle();
    expect(rec.got.length).toBe(1);

    await s.tempQueues.delete(name);
    expect(broker.getQueue(name)).toBeUndefined();
    expect(s.may('write', { kind: 'queue', name })).toBe(false);

    const second = s.reserveTemporaryQueue();
    await second.queue;
    expect(broker.getQueue(second.name)).toBeDefined();
    await s.close();
    expect(broker.getQueue(second.name)).toBeUndefined();
  });

  it('a queue deleted before its creation finished does not stay behind', async () => {
    const { broker } = await openBroker();
    const s = session(broker);
    const { name, queue } = s.reserveTemporaryQueue();
    await s.tempQueues.delete(name);
    await queue;
    await settle();
    expect(broker.getQueue(name)).toBeUndefined();
  });
});
