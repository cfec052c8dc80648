/**
 * A standby refuses no data: state set up on the active through the admin API, the front-ends
 * and the core (stream consumer-group checkpoints, through the broker-child IPC fixture) is all
 * where the active left it after kill -9 and takeover.
 */
import mqtt, { type MqttClient } from 'mqtt';
import stompit from 'stompit';
import { afterEach, describe, expect, it } from 'vitest';
import { api, ipcRequest, startBrokerProcess, tempDir, type BrokerProcess } from '../support/broker-process.js';

const ENTRY = 'test/ha/fixtures/broker-child.ts';
const HA_ENV = { INTERCHANGE_HA_LOCK_POLL_MS: '100' };

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function broker(dir: string): Promise<BrokerProcess> {
  const p = await startBrokerProcess(dir, [], HA_ENV, { allowStandby: true, entry: ENTRY });
  cleanups.push(() => p.stop('SIGKILL'));
  return p;
}

async function mqttClient(port: number, opts: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, ...opts });
  cleanups.push(() => c.endAsync(true));
  return c;
}

function stompClient(port: number, headers: Record<string, string> = {}): Promise<stompit.Client> {
  return new Promise((resolve, reject) => {
    stompit.connect({ host: '127.0.0.1', port, connectHeaders: { host: '/', 'accept-version': '1.2', 'heart-beat': '0,0', ...headers } }, (err, c) => {
      if (err) reject(err);
      else {
        cleanups.push(() => c.destroy(new Error('test done')));
        c.on('error', () => undefined); // destroyed at the end of the test
        resolve(c);
      }
    });
  });
}

/** Subscribe and collect message bodies (client-individual, acked at once). */
function stompCollect(c: stompit.Client, headers: Record<string, string>): string[] {
  const got: string[] = [];
  c.subscribe({ ack: 'client-individual', ...headers }, (err, message) => {
    if (err) return; // the client was closed (checked through what arrived)
    message.readString('utf8', (e, body) => {
      if (e) throw e;
      got.push(body!);
      c.ack(message);
    });
  });
  return got;
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function collectMqtt(c: MqttClient): Array<{ topic: string; payload: string; retain: boolean }> {
  const got: Array<{ topic: string; payload: string; retain: boolean }> = [];
  c.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
  return got;
}

describe('after failover the new active has everything the old one left', () => {
  it('durable subscriptions, retained messages, persistent MQTT sessions, STOMP durable subscriptions, stream checkpoints, FIFO dedup windows', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const a = await broker(dir.path);
    expect(a.role).toBe('active');
    const b = await broker(dir.path);
    expect(b.role).toBe('standby');
    const adminA = a.ports.admin!;

    // admin API: a durable topic → queue subscription, a FIFO queue with a dedup id in its window
    expect((await api(adminA, 'POST', '/api/subscriptions', { pattern: 'st.sensors.*', queue: 'st-log', filterPolicy: { kind: ['temp'] } })).status).toBe(201);
    expect((await api(adminA, 'PUT', '/api/queues/st.orders.fifo')).status).toBe(201);
    const first = await api(adminA, 'POST', '/api/queues/st.orders.fifo/messages', { body: 'order-1', groupId: 'g1', dedupId: 'dedup-1' });
    expect(first.json.duplicate).toBe(false);

    // MQTT: a retained message and a persistent session with one message queued while offline
    const sess = await mqttClient(a.ports.mqtt!, { clientId: 'st-sess', clean: false });
    await sess.subscribeAsync('st/sess/#', { qos: 1 });
    await sess.endAsync();
    const pub = await mqttClient(a.ports.mqtt!);
    await pub.publishAsync('st/retained', 'kept', { qos: 1, retain: true });
    await pub.publishAsync('st/sess/a', 'queued-1', { qos: 1 });

    // STOMP: a durable topic subscription (client-id + activemq.subscriptionName), then away
    const durable = await stompClient(a.ports.stomp!, { 'client-id': 'app-1' });
    stompCollect(durable, { destination: '/topic/st.audit', 'activemq.subscriptionName': 'audit' });
    let subscribed = false;
    for (let i = 0; i < 100 && !subscribed; i++) {
      subscribed = (await api(adminA, 'GET', '/api/queues')).json.queues.some((q: any) => q.name.startsWith('stomp.durable.app-1') && q.stats.consumers === 1);
      if (!subscribed) await new Promise((r) => setTimeout(r, 20));
    }
    expect(subscribed).toBe(true);
    await new Promise<void>((resolve) => durable.disconnect(() => resolve()));
    expect((await api(adminA, 'POST', '/api/topics/st.audit/messages', { body: 'audit-1', persistent: true })).status).toBe(201);

    // streams: 10 records on 2 shards, a consumer group that checkpointed the first 6 it processed
    expect((await api(adminA, 'PUT', '/api/streams/st.clicks', { shardCount: 2 })).status).toBe(201);
    for (let i = 0; i < 10; i++) {
      expect((await api(adminA, 'POST', '/api/streams/st.clicks/records', { body: `click-${i}`, partitionKey: `user-${i}` })).status).toBe(201);
    }
    const processed = await ipcRequest<Array<{ shardId: string; seq: number; body: string }>>(a, { op: 'join-and-checkpoint', stream: 'st.clicks', group: 'billing', member: 'w1', count: 6 });
    expect(processed).toHaveLength(6);
    const checkpointsA = await ipcRequest<Array<{ shardId: string; seq: number }>>(a, { op: 'checkpoints', stream: 'st.clicks', group: 'billing' });
    expect(checkpointsA.length).toBeGreaterThan(0);

    // kill -9 the active; the standby takes over
    a.child.kill('SIGKILL');
    const ports = await b.active;
    const adminB = ports.admin!;
    expect((await api(adminB, 'GET', '/healthz')).json.role).toBe('active');

    // durable subscription with its filter
    await api(adminB, 'POST', '/api/topics/st.sensors.t1/messages', { body: 'hot', headers: { kind: 'temp' } });
    await api(adminB, 'POST', '/api/topics/st.sensors.t1/messages', { body: 'wet', headers: { kind: 'humidity' } });
    const log = await api(adminB, 'POST', '/api/queues/st-log/receive', { max: 10 });
    expect(log.json.messages.map((m: any) => m.body)).toEqual(['hot']);

    // FIFO dedup window
    const again = await api(adminB, 'POST', '/api/queues/st.orders.fifo/messages', { body: 'order-1 again', groupId: 'g1', dedupId: 'dedup-1' });
    expect(again.json).toMatchObject({ duplicate: true, id: first.json.id });
    const fifo = await api(adminB, 'POST', '/api/queues/st.orders.fifo/receive', { max: 10 });
    expect(fifo.json.messages.map((m: any) => m.body)).toEqual(['order-1']);

    // MQTT retained + persistent session (queued message, and the subscription still routes)
    const late = await mqttClient(ports.mqtt!);
    const lateGot = collectMqtt(late);
    await late.subscribeAsync('st/retained', { qos: 1 });
    await waitFor(() => lateGot.length === 1, 'retained message');
    expect(lateGot[0]).toMatchObject({ topic: 'st/retained', payload: 'kept', retain: true });
    const back = await mqttClient(ports.mqtt!, { clientId: 'st-sess', clean: false });
    const sessGot = collectMqtt(back);
    await waitFor(() => sessGot.length === 1, 'queued session message');
    const pubB = await mqttClient(ports.mqtt!);
    await pubB.publishAsync('st/sess/b', 'live-1', { qos: 1 });
    await waitFor(() => sessGot.length === 2, 'live message on the restored subscription');
    expect(sessGot.map((g) => g.payload)).toEqual(['queued-1', 'live-1']);

    // STOMP durable subscription
    const durableB = await stompClient(ports.stomp!, { 'client-id': 'app-1' });
    const audit = stompCollect(durableB, { destination: '/topic/st.audit', 'activemq.subscriptionName': 'audit' });
    await waitFor(() => audit.length === 1, 'durable STOMP message');
    expect(audit).toEqual(['audit-1']);

    // stream checkpoints: the same, and a new member of the group resumes after them
    const checkpointsB = await ipcRequest<Array<{ shardId: string; seq: number }>>(b, { op: 'checkpoints', stream: 'st.clicks', group: 'billing' });
    expect(checkpointsB).toEqual(checkpointsA);
    const rest = await ipcRequest<Array<{ body: string }>>(b, { op: 'join-collect', stream: 'st.clicks', group: 'billing', member: 'w2', ms: 300 });
    const done = new Set(processed.map((r) => r.body));
    expect(rest.map((r) => r.body).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `click-${i}`).filter((x) => !done.has(x)).sort());
  });
});
