/**
 * Scenario 5: request/reply through a temporary reply queue, answered by another protocol's
 * client. The requester creates its protocol's temporary queue (STOMP `/temp-queue/NAME`,
 * AMQP 1.0 a dynamic source) and sends the request with reply-to; the responder reads the
 * reply-to as its own protocol shows it and sends the reply there. MQTT has no temporary queues
 * (and cannot consume the request queue), so it is neither requester nor responder.
 */
import { expect, it } from 'vitest';
import { queue } from './driver.js';
import { drivers, eachDriver, uniqueName, useBroker } from './harness.js';

const broker = useBroker();

eachDriver(['tempReplyQueue'], (requesterDriver) => {
  const responders = drivers.filter((r) => r.capabilities.queues && r.protocol !== requesterDriver.protocol);
  for (const responderDriver of responders) {
    it(`${requesterDriver.name} asks through its temporary reply queue, ${responderDriver.name} answers to the reply-to`, async () => {
      const label = `${requesterDriver.name} → ${responderDriver.name}`;
      const rpc = queue(uniqueName('rpc', `${requesterDriver.id}-${responderDriver.id}`));
      const responder = await broker.connect(responderDriver);
      const requests = await responder.subscribe(rpc, { ack: 'auto' });

      const requester = await broker.connect(requesterDriver);
      const { replyTo, subscription: replies } = await requester.tempReplyQueue();
      await requester.send(rpc, 'ping', { replyTo, correlationId: 'call-1' });

      const [request] = await requests.waitFor(1, 'the request');
      expect(request!.body.toString(), `${label}: request body`).toBe('ping');
      expect(request!.replyTo, `${label}: the request's reply-to as the responder sees it`).toBeTruthy();
      expect(request!.correlationId, `${label}: correlation-id`).toBe('call-1');
      await responder.send({ kind: 'address', address: request!.replyTo! }, 'pong', { correlationId: request!.correlationId! });

      const [reply] = await replies.waitFor(1, `the reply sent to ${request!.replyTo}`);
      expect(reply!.body.toString(), `${label}: reply body`).toBe('pong');
      expect(reply!.correlationId, `${label}: reply correlation-id`).toBe('call-1');
    });
  }
});
