/**
 * Scenario 6: local transactions where the protocol has them (STOMP BEGIN / COMMIT / ABORT;
 * AMQP 1.0 coordinator link: declare, transactional transfers and dispositions, discharge).
 * Sends in a transaction are invisible until commit and discarded by abort; acks in a
 * transaction take effect at commit, and an aborted ack leaves the message pending (redelivered:
 * STOMP after a disconnect; AMQP 1.0 at once, since the client settled its transactional accept).
 * MQTT has none.
 */
import { expect, it } from 'vitest';
import { queue, waitFor } from './driver.js';
import { eachDriver, uniqueName, useBroker } from './harness.js';

const broker = useBroker();

eachDriver(['transactions'], (d) => {
  it(`${d.name}: sends and acks in a transaction take effect at commit; abort discards sends and keeps acked messages pending`, async () => {
    const name = uniqueName('tx', d);
    const q = queue(name);
    const visible = async (): Promise<number> => (await broker.queueStats(name))?.visible ?? 0;

    const producer = await broker.connect(d);
    const tx1 = await producer.begin();
    await tx1.send(q, 't1');
    await tx1.send(q, 't2');
    expect(await visible(), `${d.name}: messages sent in an open transaction are not in the queue`).toBe(0);
    await tx1.commit();
    expect(await visible(), `${d.name}: after COMMIT`).toBe(2);

    const tx2 = await producer.begin();
    await tx2.send(q, 't3');
    await tx2.abort();
    await producer.send(q, 't4');
    expect(await visible(), `${d.name}: after ABORT of t3 and a plain send of t4`).toBe(3);

    let consumer = await broker.connect(d);
    let sub = await consumer.subscribe(q, { ack: 'client', prefetch: 10 });
    const [t1, t2, t4] = await sub.waitFor(3, 't1, t2, t4');
    expect([t1, t2, t4].map((m) => m!.body.toString()), `${d.name}: committed and plain sends only`).toEqual(['t1', 't2', 't4']);

    const acks = await consumer.begin();
    await acks.ack(t1!);
    await acks.ack(t2!);
    expect((await broker.queueStats(name))?.inFlight, `${d.name}: acks in an open transaction have not taken effect`).toBe(3);
    await acks.commit();
    expect((await broker.queueStats(name))?.inFlight, `${d.name}: after committing the acks of t1 and t2`).toBe(1);
    const aborted = await consumer.begin();
    await aborted.ack(t4!);
    await aborted.abort();
    await consumer.disconnect();
    await waitFor(async () => (await broker.queueStats(name))?.consumers === 0, `${d.name}: the consumer to be gone`);

    await producer.send(q, 't5');
    consumer = await broker.connect(d);
    sub = await consumer.subscribe(q, { ack: 'auto' });
    const again = await sub.waitFor(2, 't4 (its ack was aborted), then t5');
    expect(again.map((m) => m.body.toString()), `${d.name}: after the disconnect`).toEqual(['t4', 't5']);
    expect(again[0]!.redelivered, `${d.name}: t4 is a redelivery`).toBe(true);
  });
});
