/**
 * What must survive a broker restart (graceful stop, start on the same data dir and ports):
 * persistent sessions with their queued QoS 1/2 messages, retained messages, inbound QoS 2
 * exactly-once state, and outbound QoS 2 PUBREL state.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TestServer } from '../../support/test-server.js';
import { admin, closeAllClients, collect, connect, RawClient, restart, startMqttServer, waitFor, type Transport } from './helpers.js';

let server: TestServer | undefined;
afterEach(async () => {
  await closeAllClients();
  await server?.cleanup();
  server = undefined;
});

describe.each(['tcp', 'tls', 'ws'] as Transport[])('over %s', (t) => {
  it('a persistent session gets what was published while it was offline, before and after a restart; retained messages survive', async () => {
    server = await startMqttServer({ tls: true });
    const s = await connect(server, t, { clientId: 'sess', clean: false });
    await s.subscribeAsync({ 'rs/q1/#': { qos: 1 }, 'rs/q2': { qos: 2 } });
    await s.endAsync();
    const pub = await connect(server, t);
    await pub.publishAsync('rs/q1/a', 'before-1', { qos: 1 });
    await pub.publishAsync('rs/q2', 'before-2', { qos: 2 });
    await pub.publishAsync('rs/retained', 'kept', { qos: 1, retain: true });
    await pub.publishAsync('rs/q1/a', 'qos0 is not kept on disk', { qos: 0 });

    // the session queue is a core queue, visible in the admin API
    let visible = -1;
    await waitFor(() => {
      void admin(server!, 'GET', '/api/queues/mqtt.session.sess').then((q) => { visible = q.status === 200 ? q.json.stats.visible : -2; });
      return visible === 3;
    }, 'three messages in the session queue (QoS 0 one in memory only)');

    server = await restart(server);
    const pub2 = await connect(server, t);
    await pub2.publishAsync('rs/q1/b', 'after-1', { qos: 1 });

    const back = await connect(server, t, { clientId: 'sess', clean: false });
    const got = collect(back);
    await waitFor(() => got.length >= 3, 'queued messages after the restart');
    // (the mqtt client reports a QoS 2 message only after its PUBREL round trip, so compare per QoS)
    expect(got.filter((g) => g.qos === 1).map((g) => [g.topic, g.payload])).toEqual([['rs/q1/a', 'before-1'], ['rs/q1/b', 'after-1']]);
    expect(got.filter((g) => g.qos === 2).map((g) => [g.topic, g.payload])).toEqual([['rs/q2', 'before-2']]);
    // subscriptions were restored: live traffic still arrives
    await pub2.publishAsync('rs/q2', 'live', { qos: 2 });
    await waitFor(() => got.length === 4, 'live message');

    const late = await connect(server, t);
    const gotRetained = collect(late);
    await late.subscribeAsync('rs/#', { qos: 1 });
    await waitFor(() => gotRetained.length === 1, 'retained message after the restart');
    expect(gotRetained[0]).toMatchObject({ topic: 'rs/retained', payload: 'kept', retain: true, qos: 1 });
  });

  it('an unacknowledged QoS 1 delivery comes back with DUP=1 after a restart (new packet id)', async () => {
    server = await startMqttServer({ tls: true });
    const raw = await RawClient.open(server, t);
    await raw.connect('dup-after-restart', { clean: false });
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'rdup', qos: 1 }] });
    await raw.next((p) => p.cmd === 'suback', 'SUBACK');
    const pub = await connect(server, t);
    await pub.publishAsync('rdup', 'unacked', { qos: 1 });
    const first = await raw.next((p) => p.cmd === 'publish', 'first delivery');
    expect(first).toMatchObject({ dup: false, qos: 1 });
    raw.destroy(); // no PUBACK
    await closeAllClients();
    server = await restart(server);
    const raw2 = await RawClient.open(server, t);
    await raw2.connect('dup-after-restart', { clean: false });
    const again = await raw2.next((p) => p.cmd === 'publish', 'redelivery after restart');
    expect(again).toMatchObject({ dup: true, qos: 1, topic: 'rdup' });
    raw2.send({ cmd: 'puback', messageId: again.messageId! });
    raw2.destroy();
  });

  it('inbound QoS 2: a PUBREC given before a restart is honoured after it (no second delivery, PUBCOMP for the PUBREL)', async () => {
    server = await startMqttServer({ tls: true });
    const watcher = await connect(server, t, { clientId: 'watcher', clean: false });
    const before = collect(watcher);
    await watcher.subscribeAsync('eo2', { qos: 2 });

    const raw = await RawClient.open(server, t);
    await raw.connect('qos2-sender', { clean: false });
    const publish = { cmd: 'publish' as const, topic: 'eo2', payload: Buffer.from('exactly once'), qos: 2 as const, messageId: 42, retain: false, dup: false };
    raw.send(publish);
    await raw.next((p) => p.cmd === 'pubrec' && p.messageId === 42, 'PUBREC');
    await waitFor(() => before.length === 1, 'delivery before the restart');
    raw.destroy(); // no PUBREL yet: after reconnecting the client retransmits the PUBLISH (DUP) and then PUBRELs

    server = await restart(server);
    const raw2 = await RawClient.open(server, t);
    const connack = await raw2.connect('qos2-sender', { clean: false });
    expect(connack).toMatchObject({ returnCode: 0 });
    raw2.send({ ...publish, dup: true }); // retransmission of the same packet id
    await raw2.next((p) => p.cmd === 'pubrec' && p.messageId === 42, 'PUBREC after the restart');
    raw2.send({ cmd: 'pubrel', messageId: 42 });
    await raw2.next((p) => p.cmd === 'pubcomp' && p.messageId === 42, 'PUBCOMP after the restart');

    const back = await connect(server, t, { clientId: 'watcher', clean: false });
    const got = collect(back);
    await back.publishAsync('eo2', 'marker', { qos: 1 });
    await waitFor(() => got.some((g) => g.payload === 'marker'), 'marker');
    expect([...before, ...got].map((g) => g.payload)).toEqual(['exactly once', 'marker']);
    raw2.destroy();
  });
});

it('outbound QoS 2: a PUBREL owed before a restart is sent again on reconnect', async () => {
  server = await startMqttServer();
  const s = await connect(server, 'tcp', { clientId: 'out2', clean: false });
  await s.subscribeAsync('o2', { qos: 2 });
  await s.endAsync();
  const pub = await connect(server, 'tcp');
  await pub.publishAsync('o2', 'payload', { qos: 2 });

  const raw = await RawClient.open(server, 'tcp');
  await raw.connect('out2', { clean: false });
  const delivered = await raw.next((p) => p.cmd === 'publish', 'the queued PUBLISH');
  expect(delivered).toMatchObject({ topic: 'o2', qos: 2 });
  raw.send({ cmd: 'pubrec', messageId: delivered.messageId! });
  await raw.next((p) => p.cmd === 'pubrel', 'PUBREL');
  raw.destroy(); // before PUBCOMP

  server = await restart(server);
  const raw2 = await RawClient.open(server, 'tcp');
  await raw2.connect('out2', { clean: false });
  const pubrel = await raw2.next((p) => p.cmd === 'pubrel', 'PUBREL resent after the restart');
  expect(pubrel.messageId).toBe(delivered.messageId);
  raw2.send({ cmd: 'pubcomp', messageId: delivered.messageId! });
  // the message itself is not delivered again: it was acknowledged (PUBREC) before the restart
  const pub2 = await connect(server, 'tcp');
  await pub2.publishAsync('o2', 'next', { qos: 1 });
  const next = await raw2.next((p) => p.cmd === 'publish', 'the next message');
  expect(Buffer.from((next as { payload: Buffer }).payload).toString()).toBe('next');
  expect(raw2.packets.filter((p) => p.cmd === 'publish')).toHaveLength(1);
  raw2.destroy();
});

it('shared groups: kept across a restart for a persistent member (queued meanwhile), removed when only clean members had them', async () => {
  server = await startMqttServer();
  const durableMember = await connect(server, 'tcp', { clientId: 'durable-member', clean: false });
  await durableMember.subscribeAsync('$share/keep/jobs', { qos: 1 });
  const cleanMember = await connect(server, 'tcp');
  await cleanMember.subscribeAsync('$share/drop/jobs', { qos: 1 });
  await durableMember.endAsync();
  const pub = await connect(server, 'tcp');
  await pub.publishAsync('jobs', 'while away', { qos: 1 });

  server = await restart(server);
  const queues = ((await admin(server, 'GET', '/api/queues')).json.queues as Array<{ name: string }>).map((q) => q.name);
  expect(queues).toContain('mqtt.shared.keep.jobs');
  expect(queues).not.toContain('mqtt.shared.drop.jobs');

  const back = await connect(server, 'tcp', { clientId: 'durable-member', clean: false });
  const got = collect(back);
  await waitFor(() => got.length === 1, 'the job queued for the group');
  expect(got[0]).toMatchObject({ topic: 'jobs', payload: 'while away' });
});
