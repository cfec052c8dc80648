/**
 * Scenario 8: large messages through each protocol, body bytes identical: 1 MiB and 15 MiB.
 * The broker runs with the default limits (16 MiB messages). STOMP's 15 MiB case runs through stompit (TCP);
 * @stomp/stompjs parses incoming frames in JavaScript byte by byte (about 10 s for 15 MiB on a
 * loaded machine), so its WebSocket driver sends 1 MiB only.
 */
import { createHash, randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { queue, topic } from './driver.js';
import { eachDriver, uniqueName, useBroker } from './harness.js';

const MiB = 1024 * 1024;
const broker = useBroker({});

const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** MiB sizes per driver id. */
const SIZES: Record<string, number[]> = { stompjs: [1] };

eachDriver([], (d) => {
  for (const size of SIZES[d.id] ?? [1, 15]) {
    it(`${d.name}: a ${size} MiB message arrives byte for byte`, async () => {
      const body = randomBytes(size * MiB);
      const dest = d.capabilities.queues ? queue(uniqueName('large', d)) : topic(uniqueName('large', d));
      const consumer = await broker.connect(d);
      const sub = await consumer.subscribe(dest, { ack: 'auto' });
      const producer = await broker.connect(d);
      await producer.send(dest, body);
      const [m] = await sub.waitFor(1, `the ${size} MiB message`);
      expect(m!.body.length, `${d.name}: body length`).toBe(body.length);
      expect(digest(m!.body), `${d.name}: body sha-256`).toBe(digest(body));
    });
  }
});
