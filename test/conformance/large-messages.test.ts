/**
 * Scenario 8: large messages through each protocol, body bytes identical. The broker default
 * limit is 256 KiB today, so this broker runs with `limits.maxMessageBytes` = 16 MiB.
 */
import { createHash, randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { queue, topic } from './driver.js';
import { eachDriver, uniqueName, useBroker } from './harness.js';

const MiB = 1024 * 1024;
const broker = useBroker({ overrides: { limits: { maxMessageBytes: 16 * MiB } } });

const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

eachDriver([], (d) => {
  it(`${d.name}: a 1 MiB message arrives byte for byte (limit 16 MiB)`, async () => {
    const body = randomBytes(MiB);
    const dest = d.capabilities.queues ? queue(uniqueName('large', d)) : topic(uniqueName('large', d));
    const consumer = await broker.connect(d);
    const sub = await consumer.subscribe(dest, { ack: 'auto' });
    const producer = await broker.connect(d);
    await producer.send(dest, body);
    const [m] = await sub.waitFor(1, 'the 1 MiB message');
    expect(m!.body.length, `${d.name}: body length`).toBe(body.length);
    expect(digest(m!.body), `${d.name}: body sha-256`).toBe(digest(body));
  });
});
