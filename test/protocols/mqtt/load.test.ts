/**
 * Load-shaped MQTT behaviour over TCP, TLS and WebSocket (its own file so it runs in parallel with
 * features.test.ts): ordering of 1,000 QoS 1 messages, shared subscriptions spreading load.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../support/test-server.js';
import { closeAllClients, collect, connect, startMqttServer, waitFor, type Transport } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startMqttServer({ tls: true });
});
afterAll(async () => {
  await closeAllClients();
  await server.cleanup();
});

describe.each(['tcp', 'tls', 'ws'] as Transport[])('over %s', (t) => {
  it('keeps the order of 1,000 QoS 1 messages (clean and persistent subscribers)', async () => {
    const clean = await connect(server, t);
    const persistent = await connect(server, t, { clientId: `order-${t}`, clean: false });
    const gotClean = collect(clean);
    const gotPersistent = collect(persistent);
    await clean.subscribeAsync(`ord/${t}`, { qos: 1 });
    await persistent.subscribeAsync(`ord/${t}`, { qos: 1 });
    const pub = await connect(server, t);
    const n = 1000;
    await Promise.all(Array.from({ length: n }, (_, i) => pub.publishAsync(`ord/${t}`, String(i), { qos: 1 })));
    await waitFor(() => gotClean.length === n && gotPersistent.length === n, '1000 messages each', 15_000);
    const expected = Array.from({ length: n }, (_, i) => String(i));
    expect(gotClean.map((g) => g.payload)).toEqual(expected);
    expect(gotPersistent.map((g) => g.payload)).toEqual(expected);
  });

  it('spreads a shared subscription over its members, each message to one member', async () => {
    const members = await Promise.all([0, 1, 2].map(() => connect(server, t)));
    const got = members.map((m) => collect(m));
    for (const m of members) expect((await m.subscribeAsync(`$share/g${t}/jobs/${t}/+`, { qos: 1 }))[0]!.qos).toBe(1);
    const pub = await connect(server, t);
    const n = 90;
    await Promise.all(Array.from({ length: n }, (_, i) => pub.publishAsync(`jobs/${t}/j`, String(i), { qos: 1 })));
    await waitFor(() => got.reduce((a, g) => a + g.length, 0) === n, 'all jobs');
    const all = got.flat().map((g) => Number(g.payload)).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
    for (const g of got) expect(g.length).toBeGreaterThanOrEqual(10);
    for (const g of got.flat()) expect(g.topic).toBe(`jobs/${t}/j`);
    // no retained messages for shared subscriptions; a member leaving leaves the others working
    await members[0]!.endAsync();
    await pub.publishAsync(`jobs/${t}/j`, 'after', { qos: 1 });
    await waitFor(() => got[1]!.concat(got[2]!).some((g) => g.payload === 'after'), 'delivery after a member left');
  });

});
