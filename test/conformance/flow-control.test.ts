/**
 * Scenario 2: a window of N unacknowledged deliveries is respected. With more messages waiting
 * than the window, exactly N are delivered (the broker's queue stats agree: N in flight, the rest
 * visible) until an ack frees a slot; acking everything delivers everything.
 *
 * STOMP: `activemq.prefetchSize` N with ack client-individual. AMQP 1.0: N link credits, one more
 * per accepted delivery (rhea's prefetch idiom). MQTT 3.1.1 has no client-chosen window: the
 * broker's `maxInflight` (N here) bounds a persistent session's unacknowledged QoS 1 deliveries;
 * mqtt.js hands the application one PUBLISH at a time, so the check is the broker's stats.
 */
import { describe, expect, it } from 'vitest';
import { amqp10Protocol } from '../../protocols/amqp10/index.js';
import { createMqttProtocol } from '../../protocols/mqtt/index.js';
import { stompProtocol } from '../../protocols/stomp/stomp-module.js';
import { amqp091Protocol } from '../../protocols/amqp091/index.js';
import { queue, topic, waitFor, type ReceivedMessage, type Subscription } from './driver.js';
import { drivers, uniqueName, useBroker } from './harness.js';

const WINDOW = 2;
const TOTAL = WINDOW + 2;

const broker = useBroker({ protocols: [createMqttProtocol({ maxInflight: WINDOW }), amqp10Protocol, stompProtocol, amqp091Protocol] });

for (const d of drivers) {
  describe(d.name, () => {
    if (!d.capabilities.clientWindow && !d.capabilities.brokerWindow) {
      it.skip(`not applicable: ${d.notes.clientWindow ?? 'no window'}`, () => undefined);
      return;
    }
    it(`${d.name}: at most ${WINDOW} unacked deliveries until an ack frees a slot`, async () => {
      const name = uniqueName('window', d);
      const clientId = `window-${d.id}`;
      const dest = d.capabilities.queues ? queue(name) : topic(name);
      const backing = d.capabilities.queues ? name : `mqtt.session.${clientId}`;

      const consumer = await broker.connect(d, { clientId, clean: false });
      const producer = await broker.connect(d);
      let sub: Subscription;
      if (d.capabilities.queues) {
        for (let i = 1; i <= TOTAL; i++) await producer.send(dest, `w${i}`);
        sub = await consumer.subscribe(dest, { ack: 'client', prefetch: WINDOW });
      } else {
        sub = await consumer.subscribe(dest, { ack: 'client' });
        for (let i = 1; i <= TOTAL; i++) await producer.send(dest, `w${i}`);
      }
      const stats = async () => (await broker.queueStats(backing))!;
      const expectWindowFull = async (acked: number): Promise<void> => {
        const inFlight = Math.min(WINDOW, TOTAL - acked);
        await waitFor(async () => (await stats()).inFlight === inFlight, `${d.name}: ${inFlight} in flight on ${backing} after ${acked} acks (stats ${JSON.stringify(await stats())})`);
        const s = await stats();
        expect(s, `${d.name}: queue stats after ${acked} acks`).toMatchObject({ inFlight, visible: TOTAL - acked - inFlight });
        const limit = d.capabilities.clientWindow ? acked + inFlight : acked + 1;
        expect(sub.received.length, `${d.name}: deliveries seen by the client after ${acked} acks`).toBeLessThanOrEqual(limit);
      };

      if (d.capabilities.clientWindow) await sub.waitFor(WINDOW, `the first ${WINDOW} deliveries`);
      else await sub.waitFor(1, 'the first delivery');
      await expectWindowFull(0);

      const acked: ReceivedMessage[] = [];
      for (let i = 0; i < TOTAL; i++) {
        const [m] = (await sub.waitFor(i + 1, `delivery ${i + 1}`)).slice(i);
        await consumer.ack(m!);
        acked.push(m!);
        await expectWindowFull(i + 1);
      }
      expect(acked.map((m) => m.body.toString()), `${d.name}: every message delivered once, in order`).toEqual(
        Array.from({ length: TOTAL }, (_, i) => `w${i + 1}`),
      );
    });
  });
}
