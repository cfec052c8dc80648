/**
 * Scenario 7: cross-protocol mapping (docs/protocol-mapping.md). A message sent through each
 * protocol is received through each other protocol: body bytes identical (a binary body with NUL
 * and non-UTF-8 bytes), application string headers present with the same values, and
 * content-type, correlation-id, reply-to and the application message-id mapped where both sides
 * have them (STOMP `message-id` on SEND arrives as AMQP `message-id`; AMQP `message-id` arrives
 * at STOMP as `amqp-message-id`, since STOMP's `message-id` is the broker's delivery id).
 * MQTT 3.1.1 carries the body only. AMQP 0-9-1 goes through a queue (a topic needs amq.topic,
 * not served yet), so it meets MQTT nowhere. No protocol-private `x-amqp-*` / `x-mqtt-*` header reaches
 * another protocol's client.
 */
import { describe, expect, it } from 'vitest';
import { queue, topic } from './driver.js';
import { drivers, uniqueName, useBroker } from './harness.js';

const broker = useBroker();

const BODY = Buffer.from([0x00, 0x01, 0x7f, 0x80, 0xc3, 0x28, 0xff, 0x0a, 0x00, 0x3a, 0x5c, 0x6e]); // NULs, invalid UTF-8, ':' '\' 'n'
const HEADERS = { 'order-ref': 'A-17', tier: 'gold', note: 'with spaces, ümlauts and : colons' };
const PROPERTIES = { contentType: 'application/x-conformance', correlationId: 'corr-7', replyTo: 'queue://conf.map.replies', messageId: 'app-id-7' };

for (const sender of drivers) {
  describe(`from ${sender.name}`, () => {
    for (const receiver of drivers.filter((r) => r.protocol !== sender.protocol)) {
      const common = (sender.capabilities.topics && receiver.capabilities.topics) || (sender.capabilities.queues && receiver.capabilities.queues);
      if (!common) {
        it.skip(`${sender.name} → ${receiver.name}: not applicable: no destination kind both reach (${[sender, receiver].filter((d) => !d.capabilities.topics).map((d) => `${d.name}: ${d.notes.topics ?? 'no topics'}`).join('; ')})`, () => undefined);
        continue;
      }
      it(`${sender.name} → ${receiver.name}: body, headers and standard properties`, async () => {
        const label = `${sender.name} → ${receiver.name}`;
        const headers = sender.capabilities.applicationHeaders && receiver.capabilities.applicationHeaders;
        const properties = sender.capabilities.standardProperties && receiver.capabilities.standardProperties;
        // Through a topic where both have topics, else through a queue (AMQP 0-9-1 until amq.topic is served).
        const name = uniqueName('map', `${sender.id}-${receiver.id}`);
        const dest = sender.capabilities.topics && receiver.capabilities.topics ? topic(name) : queue(name);

        const consumer = await broker.connect(receiver);
        const sub = await consumer.subscribe(dest, { ack: 'auto' });
        const producer = await broker.connect(sender);
        await producer.send(dest, BODY, {
          ...(sender.capabilities.applicationHeaders ? { headers: HEADERS } : {}),
          ...(sender.capabilities.standardProperties ? PROPERTIES : {}),
        });

        const [m] = await sub.waitFor(1, `the message from ${sender.name}`);
        expect(m!.body.toString('hex'), `${label}: body bytes`).toBe(BODY.toString('hex'));
        if (headers) expect(m!.headers, `${label}: application headers`).toMatchObject(HEADERS);
        // Protocol-private details travel in the message's protocol slot, never as headers.
        expect(Object.keys(m!.headers).filter((k) => /^x-(amqp|mqtt)-/.test(k)), `${label}: protocol-private headers seen by the receiver`).toEqual([]);
        if (properties) {
          expect({ contentType: m!.contentType, correlationId: m!.correlationId, replyTo: m!.replyTo, messageId: m!.messageId }, `${label}: standard properties`)
            .toEqual(PROPERTIES);
        }
      });
    }
  });
}
