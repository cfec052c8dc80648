import { afterAll, beforeAll, expect, it } from 'vitest';
import { closeAllClients, collect, connect, startMqttServer, waitFor } from './helpers.js';
import type { TestServer } from '../../support/test-server.js';

let server: TestServer;
beforeAll(async () => { server = await startMqttServer({ tls: true }); });
afterAll(async () => { await closeAllClients(); await server.cleanup(); });

it.each(['tcp', 'tls', 'ws'] as const)('pub/sub over %s', async (t) => {
  const sub = await connect(server, t);
  const got = collect(sub);
  await sub.subscribeAsync('a/+', { qos: 1 });
  const pub = await connect(server, t);
  await pub.publishAsync('a/b', 'hello', { qos: 1 });
  await pub.publishAsync('a/c', 'x0', { qos: 0 });
  await waitFor(() => got.length === 2, 'messages');
  expect(got.map((g) => [g.topic, g.payload, g.qos])).toEqual([['a/b', 'hello', 1], ['a/c', 'x0', 0]]);
});
