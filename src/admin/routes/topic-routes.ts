/** /api/topics and /api/subscriptions: topics, publishing, durable queue subscriptions with filter policies. */
import type { Broker } from '../../core/broker.js';
import { BrokerError } from '../../core/errors.js';
import type { HttpRouter } from '../http-router.js';
import { messageToJson, parseMessageInput } from '../message-json.js';
import { bodyObject, optionalString, requiredString } from './route-input.js';

export function registerTopicRoutes(router: HttpRouter, broker: () => Broker): void {
  const describe = (name: string) => {
    const b = broker();
    const t = b.getTopic(name);
    return {
      name,
      declared: t !== undefined,
      attributes: t?.attributes ?? null,
      stats: b.topicStats(name),
      subscriptions: b.listSubscriptions({ topic: name }),
      retained: b.retained(name).map((m) => ({ id: m.id, publishedAt: m.publishedAt, ...messageToJson(m.message) })),
    };
  };

  router.add('GET', '/api/topics', async () => ({
    topics: broker().listTopics().map((t) => ({ name: t.name, attributes: t.attributes, stats: broker().topicStats(t.name) })),
  }));

  router.add('PUT', '/api/topics/:name', async ({ params, body }) => {
    const existed = broker().getTopic(params.name!) !== undefined;
    await broker().createTopic(params.name!, bodyObject(body));
    return { status: existed ? 200 : 201, body: describe(params.name!) };
  });

  router.add('GET', '/api/topics/:name', async ({ params }) => describe(params.name!));

  router.add('DELETE', '/api/topics/:name', async ({ params }) => {
    if (!(await broker().deleteTopic(params.name!))) throw new BrokerError('NOT_FOUND', `topic "${params.name!}"`);
    return { status: 204 };
  });

  router.add('POST', '/api/topics/:name/messages', async ({ params, body }) => {
    const input = parseMessageInput(body);
    const r = await broker().publish(params.name!, input.message, input.retain !== undefined ? { retain: input.retain } : {});
    return { status: 201, body: r };
  });

  router.add('GET', '/api/topics/:name/subscriptions', async ({ params }) => ({ subscriptions: broker().listSubscriptions({ topic: params.name! }) }));

  const subscribe = async (pattern: string, o: Record<string, unknown>) => {
    const filterPolicy = o.filterPolicy;
    if (filterPolicy !== undefined && filterPolicy !== null && typeof filterPolicy !== 'object' && typeof filterPolicy !== 'string') {
      throw new BrokerError('INVALID_FILTER_POLICY', 'filterPolicy must be a JSON object (or its text)');
    }
    const id = optionalString(o, 'id');
    const rec = await broker().subscribeQueue({
      pattern,
      queue: requiredString(o, 'queue'),
      filterPolicy: (filterPolicy ?? null) as string | object | null,
      attributes: { createdBy: 'admin' },
      ...(id !== undefined ? { id } : {}),
    });
    return { status: 201, body: rec };
  };

  router.add('POST', '/api/topics/:name/subscriptions', async ({ params, body }) => subscribe(params.name!, bodyObject(body)));

  /** Subscriptions on patterns (`sensors.*`, `orders.>`): `{ pattern, queue, filterPolicy }`. */
  router.add('POST', '/api/subscriptions', async ({ body }) => {
    const o = bodyObject(body);
    return subscribe(requiredString(o, 'pattern'), o);
  });

  router.add('GET', '/api/subscriptions', async () => ({ subscriptions: broker().listSubscriptions() }));

  router.add('DELETE', '/api/subscriptions/:id', async ({ params }) => {
    if (!(await broker().unsubscribe(params.id!))) throw new BrokerError('NOT_FOUND', `subscription "${params.id!}"`);
    return { status: 204 };
  });
}
