/** /api/queues: create, inspect, delete, purge; send, receive, delete (ack) and change visibility. */
import type { Broker } from '../../core/broker.js';
import type { HttpRouter } from '../http-router.js';
import { messageToJson, parseMessageInput } from '../message-json.js';
import { bodyObject, optionalInt, requiredString } from './route-input.js';

export function registerQueueRoutes(router: HttpRouter, broker: () => Broker): void {
  const describe = (name: string) => {
    const q = broker().requireQueue(name);
    return { name: q.name, attributes: q.attributes, stats: q.stats() };
  };

  router.add('GET', '/api/queues', async () => ({ queues: broker().listQueues().map((q) => ({ name: q.name, attributes: q.attributes, stats: q.stats() })) }));

  router.add('PUT', '/api/queues/:name', async ({ params, body }) => {
    const b = broker();
    const attrs = bodyObject(body);
    const existed = b.getQueue(params.name!) !== undefined;
    if (existed) await b.setQueueAttributes(params.name!, attrs);
    else await b.createQueue(params.name!, attrs);
    return { status: existed ? 200 : 201, body: describe(params.name!) };
  });

  router.add('GET', '/api/queues/:name', async ({ params }) => describe(params.name!));

  router.add('DELETE', '/api/queues/:name', async ({ params }) => {
    broker().requireQueue(params.name!);
    await broker().deleteQueue(params.name!);
    return { status: 204 };
  });

  router.add('POST', '/api/queues/:name/purge', async ({ params }) => ({ purged: await broker().requireQueue(params.name!).purge() }));

  router.add('POST', '/api/queues/:name/messages', async ({ params, body }) => {
    const input = parseMessageInput(body);
    const r = await broker().send({ kind: 'queue', name: params.name! }, input.message, input.delayMs !== undefined ? { delayMs: input.delayMs } : {});
    return { status: 201, body: { id: r.id, duplicate: r.duplicate, seq: r.seq } };
  });

  router.add('POST', '/api/queues/:name/receive', async ({ params, body }) => {
    const o = bodyObject(body);
    const max = optionalInt(o, 'max', 1, 10);
    const waitSeconds = optionalInt(o, 'waitSeconds', 0, 20);
    const visibilityTimeout = optionalInt(o, 'visibilityTimeout', 0, 43_200);
    const q = broker().requireQueue(params.name!);
    const received = await q.receive({
      ...(max !== undefined ? { max } : {}),
      ...(waitSeconds !== undefined ? { waitMs: waitSeconds * 1000 } : {}),
      ...(visibilityTimeout !== undefined ? { visibilityTimeoutMs: visibilityTimeout * 1000 } : {}),
    });
    return {
      messages: received.map((r) => ({
        id: r.id,
        receipt: r.receipt,
        receiveCount: r.receiveCount,
        redelivered: r.redelivered,
        enqueuedAt: r.enqueuedAt,
        ...messageToJson(r.message),
      })),
    };
  });

  router.add('POST', '/api/queues/:name/ack', async ({ params, body }) => {
    const o = bodyObject(body);
    const receipts = Array.isArray(o.receipts) ? o.receipts : [requiredString(o, 'receipt')];
    const q = broker().requireQueue(params.name!);
    for (const r of receipts) await q.deleteMessage(String(r));
    return { acknowledged: receipts.length };
  });

  router.add('POST', '/api/queues/:name/visibility', async ({ params, body }) => {
    const o = bodyObject(body);
    const receipt = requiredString(o, 'receipt');
    const timeout = optionalInt(o, 'visibilityTimeout', 0, 43_200) ?? 0;
    broker().requireQueue(params.name!).changeVisibility(receipt, timeout * 1000);
    return { receipt, visibilityTimeout: timeout };
  });
}
