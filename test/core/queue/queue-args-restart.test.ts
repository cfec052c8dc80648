/** The RabbitMQ-argument attributes persist with the queue (SQLite store) and keep working after a restart. */
import { describe, expect, it } from 'vitest';
import { Broker } from '../../../src/core/broker.js';
import { ManualClock } from '../../../src/core/clock.js';
import { isBrokerError } from '../../../src/core/errors.js';
import { sqliteHarness } from '../../store/sqlite-helpers.js';
import { bodies, msg, settle } from './helpers.js';

const ARGS = {
  messageTtlMs: 5_000,
  maxLength: 2,
  maxLengthBytes: 1_000,
  overflow: 'reject-publish-dlx',
  deadLetterExchange: '',
  deadLetterRoutingKey: 'dead',
  maxPriority: 10,
  singleActiveConsumer: true,
  expiresMs: 3_600_000,
  autoDelete: false,
  maxReceiveCount: 4,
};

describe('queue argument attributes across a restart (SQLite)', () => {
  it('come back from the store equal, and still act', async () => {
    const sqlite = await sqliteHarness();
    const clock = new ManualClock();
    try {
      let broker = await Broker.open({ store: sqlite.store, clock });
      await broker.createQueue('dead');
      const q = await broker.createQueue('args', ARGS);
      const before = { ...q.attributes };
      expect(before).toMatchObject(ARGS);
      await q.send(msg('one'));
      await broker.close();

      broker = await Broker.open({ store: await sqlite.reopen(), clock });
      const r = broker.requireQueue('args');
      expect(r.attributes).toEqual(before);
      // redeclare with the same attributes is fine, a different one is a conflict
      await broker.createQueue('args', ARGS);
      const conflict = await broker.createQueue('args', { ...ARGS, maxLength: 3 }).catch((err: unknown) => err);
      expect(isBrokerError(conflict, 'ALREADY_EXISTS')).toBe(true);
      // max length 2 with reject-publish-dlx: the third is refused and dead-lettered
      await r.send(msg('two'));
      const refused = await r.send(msg('three')).catch((err: unknown) => err);
      expect(isBrokerError(refused, 'QUEUE_FULL')).toBe(true);
      await settle();
      expect(bodies(await broker.requireQueue('dead').receive())).toEqual(['three']);
      // TTL: both expire into dead 5 s after their enqueue ('one' was reloaded: its enqueue time is kept)
      clock.advance(5_000);
      await settle();
      expect(r.stats()).toMatchObject({ visible: 0, deadLettered: 3 });
      await broker.close();
    } finally {
      await sqlite.cleanup();
    }
  });
});
