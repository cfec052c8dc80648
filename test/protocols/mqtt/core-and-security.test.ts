/**
 * MQTT through the shared core (admin API subscriptions and publishes), and security:
 * CONNECT credentials → CONNACK codes, ACLs on publish (dropped, logged) and subscribe (0x80).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../src/security/password-hash.js';
import type { TestServer } from '../../support/test-server.js';
import {
  admin, closeAllClients, collect, connect, LogCapture, startMqttServer, waitFor, type Transport,
} from './helpers.js';

describe('through the core', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startMqttServer({ tls: true });
  });
  afterAll(async () => {
    await closeAllClients();
    await server.cleanup();
  });

  it.each(['tcp', 'tls', 'ws'] as Transport[])('%s: an MQTT publish lands in a queue subscribed to sensors.*; an admin publish reaches MQTT', async (t) => {
    const queue = `sensor-readings-${t}`;
    const sub = await admin(server, 'POST', '/api/subscriptions', { pattern: `sensors${t}.*`, queue });
    expect(sub.status).toBe(201);

    const device = await connect(server, t);
    await device.publishAsync(`sensors${t}/t1`, '21.5', { qos: 1 }); // PUBACK = committed to the queue
    const got = await admin(server, 'POST', `/api/queues/${queue}/receive`, { max: 10 });
    expect(got.status).toBe(200);
    expect(got.json.messages).toHaveLength(1);
    expect(got.json.messages[0]).toMatchObject({
      body: '21.5', persistent: true, headers: {}, protocol: { mqtt: { publishQos: 1, topic: `sensors${t}/t1` } },
    });
    expect(got.json.messages[0].headers).toEqual({});

    const app = await connect(server, t);
    const received = collect(app);
    await app.subscribeAsync(`sensors${t}/+`, { qos: 1 });
    const pub = await admin(server, 'POST', `/api/topics/sensors${t}.t1/messages`, { body: 'from http' });
    expect(pub.status).toBe(201);
    await waitFor(() => received.length === 1, 'admin publish at the MQTT subscriber');
    expect(received[0]).toMatchObject({ topic: `sensors${t}/t1`, payload: 'from http', qos: 1 });

    // a topic name with a dot inside a level and an empty level, both ways
    await admin(server, 'POST', '/api/subscriptions', { pattern: `fw${t}.>`, queue: `fw-${t}` });
    await device.publishAsync(`fw${t}/v1.2//x`, 'dots', { qos: 1 });
    const fw = await admin(server, 'POST', `/api/queues/fw-${t}/receive`, {});
    expect(fw.json.messages[0].body).toBe('dots');
    const names = (await admin(server, 'GET', '/api/subscriptions')).json.subscriptions as Array<{ pattern: string }>;
    expect(names.some((s) => s.pattern === `fw${t}.>`)).toBe(true);
    await app.subscribeAsync(`fw${t}/#`, { qos: 0 });
    await admin(server, 'POST', `/api/topics/${encodeURIComponent(`fw${t}.v1%2E2.%.y`)}/messages`, { body: 'escaped' });
    await waitFor(() => received.some((r) => r.payload === 'escaped'), 'escaped-name delivery');
    expect(received.find((r) => r.payload === 'escaped')!.topic).toBe(`fw${t}/v1.2//y`);
  });

  it('a persistent session gets the concrete topic of what other protocols published while it was away', async () => {
    const first = await connect(server, 'tcp', { clientId: 'plant-watch', clean: false });
    await first.subscribeAsync('plant/+/temp', { qos: 1 });
    await first.endAsync();
    expect((await admin(server, 'POST', '/api/topics/plant.p7.temp/messages', { body: '80C' })).status).toBe(201);
    const back = await connect(server, 'tcp', { clientId: 'plant-watch', clean: false });
    const received = collect(back);
    await waitFor(() => received.length === 1, 'queued message after reconnect');
    expect(received[0]).toMatchObject({ topic: 'plant/p7/temp', payload: '80C', qos: 1 });
  });

  it('a persistent session queue and shared group queues are core queues', async () => {
    const s = await connect(server, 'tcp', { clientId: 'visible', clean: false });
    await s.subscribeAsync('vis/#', { qos: 1 });
    await s.subscribeAsync('$share/workers/vis/jobs', { qos: 1 });
    const queues = (await admin(server, 'GET', '/api/queues')).json.queues as Array<{ name: string; stats: { consumers: number } }>;
    expect(queues.find((q) => q.name === 'mqtt.session.visible')?.stats.consumers).toBe(1);
    expect(queues.find((q) => q.name === 'mqtt.shared.workers.vis/jobs')?.stats.consumers).toBe(1);
  });
});

describe('security', () => {
  let server: TestServer;
  const capture = new LogCapture();
  beforeAll(async () => {
    const [alice, bob] = await Promise.all([hashPassword('alice-pw'), hashPassword('bob-pw')]);
    server = await startMqttServer({
      capture,
      overrides: {
        security: {
          anonymous: 'never',
          users: [{ name: 'alice', passwordHash: alice, groups: [] }, { name: 'bob', passwordHash: bob, groups: [] }],
          acl: [
            { principal: 'alice', kinds: ['topic'], pattern: 'plant.>', allow: ['read', 'write'] },
            { principal: 'bob', kinds: ['topic'], pattern: 'plant.>', allow: ['read'] },
            { principal: 'bob', kinds: ['topic'], pattern: 'bob.*', allow: ['write'] },
          ],
        },
      },
    });
  });
  afterAll(async () => {
    await closeAllClients();
    await server.cleanup();
  });

  it('refuses bad credentials with CONNACK 4 and missing ones with CONNACK 5', async () => {
    await expect(connect(server, 'tcp', { username: 'alice', password: 'wrong' })).rejects.toMatchObject({ code: 4 });
    await expect(connect(server, 'tcp', { username: 'mallory', password: 'x' })).rejects.toMatchObject({ code: 4 });
    await expect(connect(server, 'tcp')).rejects.toMatchObject({ code: 5 });
    expect(capture.has((l) => l.msg === 'MQTT CONNECT refused: authentication failed' && l.returnCode === 4)).toBe(true);
  });

  it('grants 0x80 for a refused subscription and drops (and logs) a refused publish', async () => {
    const alice = await connect(server, 'tcp', { username: 'alice', password: 'alice-pw' });
    const bob = await connect(server, 'ws', { username: 'bob', password: 'bob-pw' });
    const gotAlice = collect(alice);
    const gotBob = collect(bob);
    // the mqtt client rejects a SUBACK that refuses any filter; the packet is on the error
    const refused = await bob.subscribeAsync({ 'plant/#': { qos: 1 }, 'secret/#': { qos: 1 } }).then(
      () => undefined,
      (err: { packet?: { granted: number[] } }) => err.packet,
    );
    expect(refused?.granted).toEqual([1, 128]);
    expect((await alice.subscribeAsync('plant/#', { qos: 1 }))[0]!.qos).toBe(1);

    await bob.publishAsync('plant/valve', 'bob was here', { qos: 1 }); // acknowledged, dropped
    await alice.publishAsync('plant/valve', 'open', { qos: 1 });
    await waitFor(() => gotAlice.length === 1 && gotBob.length === 1, 'alice\'s message at both');
    expect(gotAlice.map((g) => g.payload)).toEqual(['open']);
    expect(gotBob.map((g) => g.payload)).toEqual(['open']);
    expect(capture.has((l) => l.msg === 'MQTT publish not authorized; dropped' && l.user === 'bob')).toBe(true);
    expect(capture.has((l) => l.msg === 'MQTT subscription not authorized (SUBACK 0x80)' && l.filter === 'secret/#')).toBe(true);
    // bob may still publish where he is allowed, and his connection is intact
    const watcher = await connect(server, 'tcp', { username: 'alice', password: 'alice-pw' });
    expect(bob.connected).toBe(true);
    void watcher;
  });

  it('refuses a CONNECT whose will topic the user may not publish to (CONNACK 5)', async () => {
    await expect(connect(server, 'tcp', {
      username: 'bob', password: 'bob-pw', will: { topic: 'plant/alarm', payload: Buffer.from('x'), qos: 0, retain: false },
    })).rejects.toMatchObject({ code: 5 });
    const ok = await connect(server, 'tcp', {
      username: 'bob', password: 'bob-pw', will: { topic: 'bob/status', payload: Buffer.from('offline'), qos: 0, retain: false },
    });
    expect(ok.connected).toBe(true);
  });
});
