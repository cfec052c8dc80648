/**
 * MQTT 3.1.1 behaviour over TCP, TLS and WebSocket against a real in-process broker (SQLite
 * store): QoS 0/1/2, retained messages, wildcards and the $-topic rule, persistent sessions,
 * last will, keepalive, takeover, shared subscriptions, ordering.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../support/test-server.js';
import { closeAllClients, collect, connect, RawClient, startMqttServer, waitFor, type Transport } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startMqttServer({ tls: true });
});
afterAll(async () => {
  await closeAllClients();
  await server.cleanup();
});

const TRANSPORTS: Transport[] = ['tcp', 'tls', 'ws'];

describe.each(TRANSPORTS)('over %s', (t) => {
  it('delivers QoS 0, 1 and 2 at min(publish QoS, subscription QoS)', async () => {
    const s2 = await connect(server, t);
    const s1 = await connect(server, t);
    const got2 = collect(s2);
    const got1 = collect(s1);
    expect((await s2.subscribeAsync(`qos/${t}/+`, { qos: 2 }))[0]!.qos).toBe(2);
    expect((await s1.subscribeAsync(`qos/${t}/+`, { qos: 1 }))[0]!.qos).toBe(1);
    const pub = await connect(server, t);
    for (const qos of [0, 1, 2] as const) await pub.publishAsync(`qos/${t}/q${qos}`, `m${qos}`, { qos });
    await waitFor(() => got2.length === 3 && got1.length === 3, 'all deliveries');
    expect(got2.map((g) => [g.topic, g.payload, g.qos, g.retain])).toEqual([
      [`qos/${t}/q0`, 'm0', 0, false], [`qos/${t}/q1`, 'm1', 1, false], [`qos/${t}/q2`, 'm2', 2, false],
    ]);
    expect(got1.map((g) => g.qos)).toEqual([0, 1, 1]);
  });

  it('keeps retained messages, sends them on subscribe, and clears them with an empty payload', async () => {
    const pub = await connect(server, t);
    await pub.publishAsync(`ret/${t}/a`, 'v1', { qos: 1, retain: true });
    await pub.publishAsync(`ret/${t}/b`, 'v2', { qos: 0, retain: true });
    await pub.publishAsync(`ret/${t}/b`, 'v3', { qos: 1, retain: true }); // replaces v2

    const late = await connect(server, t);
    const got = collect(late);
    await late.subscribeAsync(`ret/${t}/+`, { qos: 1 });
    await waitFor(() => got.length === 2, 'retained messages');
    expect(got.map((g) => [g.topic, g.payload, g.retain]).sort()).toEqual([[`ret/${t}/a`, 'v1', true], [`ret/${t}/b`, 'v3', true]]);

    // live delivery of a retained publish carries retain=0; an empty retained payload clears
    await pub.publishAsync(`ret/${t}/a`, '', { qos: 1, retain: true });
    await waitFor(() => got.length === 3, 'live delivery of the clearing message');
    expect(got[2]).toMatchObject({ topic: `ret/${t}/a`, payload: '', retain: false });

    const later = await connect(server, t);
    const got2 = collect(later);
    await later.subscribeAsync(`ret/${t}/#`, { qos: 1 });
    await pub.publishAsync(`ret/${t}/marker`, 'm', { qos: 1 });
    await waitFor(() => got2.some((g) => g.topic === `ret/${t}/marker`), 'marker');
    expect(got2.map((g) => g.payload)).toEqual(['v3', 'm']);
  });

  it('matches + and # (including the parent level and empty levels) and keeps $ topics from leading wildcards', async () => {
    const all = await connect(server, t);
    const dollar = await connect(server, t);
    const plus = await connect(server, t);
    const gotAll = collect(all);
    const gotDollar = collect(dollar);
    const gotPlus = collect(plus);
    await all.subscribeAsync('#', { qos: 1 });
    await dollar.subscribeAsync(`$app${t}/#`, { qos: 1 });
    await plus.subscribeAsync([`w${t}/#`, `+/lead${t}/+`, `e${t}/+/b`], { qos: 1 });
    const pub = await connect(server, t);
    const topics = [`$app${t}/x`, `w${t}`, `w${t}/a/b`, `/lead${t}/x`, `e${t}//b`, `v1.2${t}/a*b>c%`];
    for (const topic of topics) await pub.publishAsync(topic, topic, { qos: 1 });
    await waitFor(() => gotAll.filter((g) => topics.includes(g.topic)).length === 5, '# deliveries');
    await waitFor(() => gotDollar.length === 1 && gotPlus.length === 4, 'other deliveries');
    expect(gotAll.map((g) => g.topic).filter((x) => topics.includes(x)).sort()).toEqual(topics.filter((x) => !x.startsWith('$')).sort());
    expect(gotDollar.map((g) => g.topic)).toEqual([`$app${t}/x`]);
    expect(gotPlus.map((g) => g.topic).sort()).toEqual([`/lead${t}/x`, `e${t}//b`, `w${t}`, `w${t}/a/b`].sort());
    for (const g of gotAll.filter((x) => topics.includes(x.topic))) expect(g.payload).toBe(g.topic);
  });

  it('publishes the will when the connection breaks, not on DISCONNECT', async () => {
    const watcher = await connect(server, t);
    const got = collect(watcher);
    await watcher.subscribeAsync(`will/${t}/+`, { qos: 1 });
    const polite = await connect(server, t, { clientId: `polite-${t}`, will: { topic: `will/${t}/polite`, payload: Buffer.from('bye'), qos: 1, retain: false } });
    await polite.endAsync();
    const dying = await connect(server, t, { clientId: `dying-${t}`, will: { topic: `will/${t}/dying`, payload: Buffer.from('gone'), qos: 1, retain: false } });
    dying.stream.destroy(); // abrupt close, no DISCONNECT
    await waitFor(() => got.length >= 1, 'the will');
    const pub = await connect(server, t);
    await pub.publishAsync(`will/${t}/marker`, 'm', { qos: 1 });
    await waitFor(() => got.some((g) => g.topic === `will/${t}/marker`), 'marker');
    expect(got.map((g) => [g.topic, g.payload])).toEqual([[`will/${t}/dying`, 'gone'], [`will/${t}/marker`, 'm']]);
  });

  it('takes over a session when the same client id connects again', async () => {
    const first = await connect(server, t, { clientId: `dup-${t}` });
    const closed = new Promise<void>((resolve) => first.once('close', () => resolve()));
    const second = await connect(server, t, { clientId: `dup-${t}` });
    await closed;
    const got = collect(second);
    await second.subscribeAsync(`dup/${t}`, { qos: 1 });
    await second.publishAsync(`dup/${t}`, 'still here', { qos: 1 });
    await waitFor(() => got.length === 1, 'delivery to the new connection');
  });

  it('queues QoS 1/2 messages for an offline persistent session, and a clean session discards it', async () => {
    const id = `ps-${t}`;
    const s = await connect(server, t, { clientId: id, clean: false });
    await s.subscribeAsync(`ps/${t}/#`, { qos: 2 });
    await s.endAsync();
    const pub = await connect(server, t);
    for (let i = 0; i < 5; i++) await pub.publishAsync(`ps/${t}/x`, `q1-${i}`, { qos: 1 });
    await pub.publishAsync(`ps/${t}/y`, 'q2', { qos: 2 });

    const back = await connect(server, t, { clientId: id, clean: false, manualConnect: false });
    const got = collect(back);
    await waitFor(() => got.length >= 6, 'queued messages');
    expect(got.map((g) => [g.payload, g.qos])).toEqual([
      ['q1-0', 1], ['q1-1', 1], ['q1-2', 1], ['q1-3', 1], ['q1-4', 1], ['q2', 2],
    ]);
    // live messages keep flowing to the resumed session (its subscription was restored)
    await pub.publishAsync(`ps/${t}/z`, 'live', { qos: 1 });
    await waitFor(() => got.some((g) => g.payload === 'live'), 'live message');
    await back.endAsync();

    await pub.publishAsync(`ps/${t}/x`, 'dropped with the session', { qos: 1 });
    const cleanConn = await connect(server, t, { clientId: id, clean: true });
    await cleanConn.endAsync();
    const fresh = await connect(server, t, { clientId: id, clean: false });
    const gotFresh = collect(fresh);
    await fresh.subscribeAsync(`ps/${t}/#`, { qos: 1 });
    await pub.publishAsync(`ps/${t}/x`, 'new', { qos: 1 });
    await waitFor(() => gotFresh.length >= 1, 'message to the new session');
    expect(gotFresh.map((g) => g.payload)).toEqual(['new']);
  });

  it('redelivers an unacknowledged QoS 1 message to a resumed session with the same packet id and DUP=1', async () => {
    const id = `redeliver-${t}`;
    const raw = await RawClient.open(server, t);
    await raw.connect(id, { clean: false });
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `rd/${t}`, qos: 1 }] });
    await raw.next((p) => p.cmd === 'suback', 'SUBACK');
    const pub = await connect(server, t);
    await pub.publishAsync(`rd/${t}`, 'unacked', { qos: 1 });
    const first = await raw.next((p) => p.cmd === 'publish', 'first delivery');
    expect(first).toMatchObject({ dup: false, qos: 1 });
    raw.destroy(); // no PUBACK
    const raw2 = await RawClient.open(server, t);
    expect(await raw2.connect(id, { clean: false })).toMatchObject({ sessionPresent: true });
    const again = await raw2.next((p) => p.cmd === 'publish', 'redelivery');
    expect(again).toMatchObject({ dup: true, qos: 1, messageId: first.messageId, topic: `rd/${t}` });
    raw2.send({ cmd: 'puback', messageId: again.messageId! });
    await pub.publishAsync(`rd/${t}`, 'next', { qos: 1 });
    const next = await raw2.next((p) => p.cmd === 'publish' && (p as { dup: boolean }).dup === false, 'next delivery');
    expect(Buffer.from((next as { payload: Buffer }).payload).toString()).toBe('next');
    raw2.destroy();
  });

  it('speaks MQTT 3.1 (MQIsdp) too', async () => {
    const v3 = await connect(server, t, { protocolVersion: 3, protocolId: 'MQIsdp', clientId: `v31-${t}` });
    const got = collect(v3);
    await v3.subscribeAsync(`v31/${t}`, { qos: 2 });
    await v3.publishAsync(`v31/${t}`, 'old but gold', { qos: 2 });
    await waitFor(() => got.length === 1, 'MQTT 3.1 delivery');
    expect(got[0]).toMatchObject({ payload: 'old but gold', qos: 2 });
  });

  it('handles inbound QoS 2 exactly once (retransmitted PUBLISH, PUBREL, PUBCOMP)', async () => {
    const watcher = await connect(server, t);
    const got = collect(watcher);
    await watcher.subscribeAsync(`eo/${t}`, { qos: 2 });
    const raw = await RawClient.open(server, t);
    expect(await raw.connect(`raw-eo-${t}`)).toMatchObject({ cmd: 'connack', returnCode: 0 });
    const publish = { cmd: 'publish' as const, topic: `eo/${t}`, payload: Buffer.from('once'), qos: 2 as const, messageId: 7, retain: false, dup: false };
    raw.send(publish);
    await raw.next((p) => p.cmd === 'pubrec' && p.messageId === 7, 'PUBREC');
    raw.send({ ...publish, dup: true });
    raw.send({ ...publish, dup: true });
    await waitFor(() => raw.packets.filter((p) => p.cmd === 'pubrec').length === 3, 'PUBREC for each retransmission');
    raw.send({ cmd: 'pubrel', messageId: 7 });
    await raw.next((p) => p.cmd === 'pubcomp' && p.messageId === 7, 'PUBCOMP');
    await watcher.publishAsync(`eo/${t}`, 'marker', { qos: 1 });
    await waitFor(() => got.some((g) => g.payload === 'marker'), 'marker');
    expect(got.map((g) => g.payload)).toEqual(['once', 'marker']);
    raw.destroy();
  });
});

it('disconnects clients that stop talking (keepalive × 1.5), on every transport', async () => {
  const raws = await Promise.all(TRANSPORTS.map((t) => RawClient.open(server, t)));
  await Promise.all(raws.map((r, i) => r.connect(`ka-${i}`, { keepalive: 1 })));
  const started = Date.now();
  await Promise.all(raws.map((r) => r.waitClosed(4000)));
  expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
});
