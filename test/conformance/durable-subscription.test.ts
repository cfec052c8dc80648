/**
 * Scenario 3: a durable topic subscription survives a broker restart. Persistent messages
 * published while the subscriber is away are delivered, in order, after the broker restarted and
 * the subscriber reconnected; the subscription is still live afterwards.
 *
 * STOMP: client-id + activemq.subscriptionName. AMQP 1.0: container id + link name, source
 * durable=2 (unsettled-state) and expiry-policy never. MQTT: a clean=false session.
 */
import { expect, it } from 'vitest';
import { topic } from './driver.js';
import { eachDriver, uniqueName, useBroker } from './harness.js';

const broker = useBroker();

eachDriver(['durableSubscriptions'], (d) => {
  it(`${d.name}: messages published while a durable subscriber is away survive a restart`, async () => {
    const dest = topic(uniqueName('durable', d));
    const subscriber = { clientId: `durable-${d.id}`, clean: false };
    const durable = { durableName: 'sub1', ack: 'auto' as const };

    let consumer = await broker.connect(d, subscriber);
    let sub = await consumer.subscribe(dest, durable);
    let producer = await broker.connect(d);
    await producer.send(dest, 'live-1');
    expect((await sub.waitFor(1, 'live-1 while subscribed')).map((m) => m.body.toString()), `${d.name}: live delivery`).toEqual(['live-1']);
    await consumer.disconnect();

    await producer.send(dest, 'away-1', { persistent: true });
    await producer.send(dest, 'away-2', { persistent: true });
    await broker.restart();

    consumer = await broker.connect(d, subscriber);
    sub = await consumer.subscribe(dest, durable);
    const kept = await sub.waitFor(2, 'the messages published while away, after the restart');
    expect(kept.map((m) => m.body.toString()), `${d.name}: messages kept across the restart`).toEqual(['away-1', 'away-2']);

    producer = await broker.connect(d);
    await producer.send(dest, 'after-restart');
    const all = await sub.waitFor(3, 'a new message after the restart');
    expect(all.map((m) => m.body.toString()), `${d.name}: still subscribed after the restart`).toEqual(['away-1', 'away-2', 'after-restart']);
  });
});
