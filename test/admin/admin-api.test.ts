/**
 * The admin HTTP API against a real in-process broker: REST semantics, Prometheus metrics,
 * authentication and bad input (each answered with a JSON error code, the broker unaffected).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/security/password-hash.js';
import { api } from '../support/broker-process.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let ts: TestServer;
let port: number;

beforeAll(async () => {
  ts = await startTestServer({ protocols: [], overrides: { limits: { maxMessageBytes: 1024 } } });
  port = ts.ports.admin!;
});
afterAll(async () => {
  await ts.cleanup();
});

describe('admin API: queues', () => {
  it('creates, describes, sends, receives with visibility, acks, purges and deletes', async () => {
    const created = await api(port, 'PUT', '/api/queues/jobs', { visibilityTimeoutMs: 60_000 });
    expect(created.status).toBe(201);
    expect(created.json.attributes.visibilityTimeoutMs).toBe(60_000);
    expect((await api(port, 'PUT', '/api/queues/jobs', { delayMs: 0 })).status).toBe(200);

    await api(port, 'POST', '/api/queues/jobs/messages', { body: 'a', properties: { priority: 1 } });
    await api(port, 'POST', '/api/queues/jobs/messages', { body: 'AAEC', bodyEncoding: 'base64', headers: { k: 'v' } });
    const r = await api(port, 'POST', '/api/queues/jobs/receive', { max: 10 });
    expect(r.json.messages).toHaveLength(2);
    const binary = r.json.messages.find((m: any) => m.bodyEncoding === 'base64');
    expect(Buffer.from(binary.body, 'base64')).toEqual(Buffer.from([0, 1, 2]));

    const stats = await api(port, 'GET', '/api/queues/jobs');
    expect(stats.json.stats).toMatchObject({ visible: 0, inFlight: 2 });

    // make one visible again, ack the other
    const [m1, m2] = r.json.messages;
    expect((await api(port, 'POST', '/api/queues/jobs/visibility', { receipt: m1.receipt, visibilityTimeout: 0 })).status).toBe(200);
    expect((await api(port, 'POST', '/api/queues/jobs/ack', { receipt: m2.receipt })).status).toBe(200);
    const after = await api(port, 'GET', '/api/queues/jobs');
    expect(after.json.stats).toMatchObject({ visible: 1, inFlight: 0 });
    const stale = await api(port, 'POST', '/api/queues/jobs/ack', { receipt: m2.receipt });
    expect(stale.status).toBe(400);
    expect(stale.json.error.code).toBe('RECEIPT_INVALID');

    expect((await api(port, 'POST', '/api/queues/jobs/purge')).json.purged).toBe(1);
    expect((await api(port, 'DELETE', '/api/queues/jobs')).status).toBe(204);
    expect((await api(port, 'GET', '/api/queues/jobs')).status).toBe(404);
  });

  it('keeps typed header values in their JSON form and refuses malformed ones', async () => {
    const headers = {
      l: { type: 'long', value: '-9223372036854775808' }, u: { type: 'ubyte', value: 255 },
      b: { type: 'binary', value: 'AAE=' }, list: { type: 'list', value: [1, { type: 'symbol', value: 's' }] },
      plain: 5, s: 'x',
    };
    expect((await api(port, 'POST', '/api/queues/typed/messages', { body: 'x', headers })).status).toBe(201);
    const r = await api(port, 'POST', '/api/queues/typed/receive', {});
    expect(r.json.messages[0].headers).toEqual(headers);
    const bad = await api(port, 'POST', '/api/queues/typed/messages', { body: 'x', headers: { u: { type: 'ubyte', value: 256 } } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('INVALID_ARGUMENT');
    await api(port, 'DELETE', '/api/queues/typed');
  });

  it('moves a message to the dead-letter queue after maxReceiveCount receives', async () => {
    await api(port, 'PUT', '/api/queues/work', { deadLetterQueue: 'work-dlq', maxReceiveCount: 2, visibilityTimeoutMs: 0 });
    await api(port, 'POST', '/api/queues/work/messages', { body: 'poison' });
    for (let i = 0; i < 2; i++) {
      const r = await api(port, 'POST', '/api/queues/work/receive', { visibilityTimeout: 0 });
      expect(r.json.messages).toHaveLength(1);
    }
    expect((await api(port, 'POST', '/api/queues/work/receive', {})).json.messages).toHaveLength(0);
    const dlq = await api(port, 'POST', '/api/queues/work-dlq/receive', {});
    expect(dlq.json.messages.map((m: any) => m.body)).toEqual(['poison']);
  });

  it('keeps FIFO order per group and drops duplicates', async () => {
    await api(port, 'PUT', '/api/queues/orders.fifo', { contentBasedDeduplication: true });
    for (const body of ['1', '2', '2', '3']) {
      await api(port, 'POST', '/api/queues/orders.fifo/messages', { body, groupId: 'g' });
    }
    const bodies: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await api(port, 'POST', '/api/queues/orders.fifo/receive', {});
      expect(r.json.messages).toHaveLength(1);
      bodies.push(r.json.messages[0].body);
      // the group is blocked while its message is in flight
      expect((await api(port, 'POST', '/api/queues/orders.fifo/receive', {})).json.messages).toHaveLength(0);
      await api(port, 'POST', '/api/queues/orders.fifo/ack', { receipt: r.json.messages[0].receipt });
    }
    expect(bodies).toEqual(['1', '2', '3']);
  });

  it('long-polls until a message arrives', async () => {
    await api(port, 'PUT', '/api/queues/poll');
    const pending = api(port, 'POST', '/api/queues/poll/receive', { waitSeconds: 10 });
    await new Promise((r) => setTimeout(r, 100));
    await api(port, 'POST', '/api/queues/poll/messages', { body: 'wake' });
    const r = await pending;
    expect(r.json.messages.map((m: any) => m.body)).toEqual(['wake']);
  });
});

describe('admin API: topics and streams', () => {
  it('fans out to queue subscriptions through filter policies', async () => {
    expect((await api(port, 'PUT', '/api/topics/alerts')).status).toBe(201);
    const sub = await api(port, 'POST', '/api/topics/alerts/subscriptions', { queue: 'pager', filterPolicy: { severity: ['high'], code: [{ numeric: ['>=', 500] }] } });
    expect(sub.status).toBe(201);
    await api(port, 'POST', '/api/topics/alerts/messages', { body: 'x', headers: { severity: 'high', code: 503 } });
    await api(port, 'POST', '/api/topics/alerts/messages', { body: 'y', headers: { severity: 'high', code: 404 } });
    await api(port, 'POST', '/api/topics/alerts/messages', { body: 'z', headers: { severity: 'low', code: 503 } });
    const r = await api(port, 'POST', '/api/queues/pager/receive', { max: 10 });
    expect(r.json.messages.map((m: any) => m.body)).toEqual(['x']);
    const topic = await api(port, 'GET', '/api/topics/alerts');
    expect(topic.json.stats.published).toBe(3);
    expect(topic.json.subscriptions).toHaveLength(1);
    expect((await api(port, 'DELETE', `/api/subscriptions/${sub.json.id}`)).status).toBe(204);
  });

  it('keeps the retained message of a topic', async () => {
    await api(port, 'POST', '/api/topics/status.door/messages', { body: 'open', retain: true });
    const t = await api(port, 'GET', '/api/topics/status.door');
    expect(t.json.retained.map((m: any) => m.body)).toEqual(['open']);
  });

  it('puts and reads stream records, splits a shard', async () => {
    expect((await api(port, 'PUT', '/api/streams/events', { shardCount: 1 })).status).toBe(201);
    for (let i = 0; i < 3; i++) await api(port, 'POST', '/api/streams/events/records', { body: `e${i}`, partitionKey: `k${i}` });
    const it1 = await api(port, 'POST', '/api/streams/events/iterator', { shardId: 'shardId-000000000000', type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: '1' });
    const got = await api(port, 'POST', '/api/streams/events/records/get', { iterator: it1.json.iterator });
    expect(got.json.records.map((r: any) => r.body)).toEqual(['e1', 'e2']);
    const split = await api(port, 'POST', '/api/streams/events/shards/shardId-000000000000/split', { newStartingHashKey: (2n ** 127n).toString() });
    expect(split.status).toBe(200);
    expect(split.json.children).toHaveLength(2);
    const desc = await api(port, 'GET', '/api/streams/events');
    expect(desc.json.shards.filter((s: any) => s.open)).toHaveLength(2);
  });
});

describe('admin API: metrics and health', () => {
  it('exposes Prometheus text with destination and store figures', async () => {
    await api(port, 'PUT', '/api/queues/metered');
    await api(port, 'POST', '/api/queues/metered/messages', { body: 'm' });
    const r = await api(port, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/^interchange_queue_messages_visible\{queue="metered"\} 1$/m);
    expect(r.text).toMatch(/^interchange_queue_enqueued_total\{queue="metered"\} 1$/m);
    expect(r.text).toMatch(/^interchange_store_commit_seconds_count \d+$/m);
    expect(r.text).toMatch(/^# TYPE interchange_store_commit_seconds histogram$/m);
    expect(r.text).toMatch(/^process_resident_memory_bytes \d+$/m);
  });

  it('counts max-length overflow: drop-head drops and reject-publish refusals', async () => {
    await api(port, 'PUT', '/api/queues/capped-head', { maxLength: 1 });
    await api(port, 'PUT', '/api/queues/capped-refuse', { maxLength: 1, overflow: 'reject-publish' });
    for (const body of ['a', 'b', 'c']) await api(port, 'POST', '/api/queues/capped-head/messages', { body });
    expect((await api(port, 'POST', '/api/queues/capped-refuse/messages', { body: 'a' })).status).toBe(201);
    expect((await api(port, 'POST', '/api/queues/capped-refuse/messages', { body: 'b' })).status).toBe(429);
    const r = await api(port, 'GET', '/metrics');
    expect(r.text).toMatch(/^interchange_queue_overflowed_total\{queue="capped-head"\} 2$/m);
    expect(r.text).toMatch(/^interchange_queue_messages_visible\{queue="capped-head"\} 1$/m);
    expect(r.text).toMatch(/^interchange_queue_refused_total\{queue="capped-refuse"\} 1$/m);
    expect(r.text).toMatch(/^interchange_queue_delivery_limit_dropped_total\{queue="capped-refuse"\} 0$/m);
  });
});

describe('admin API: bad input', () => {
  it.each([
    ['PUT', '/api/queues/a..b', undefined, 400, 'INVALID_NAME'],
    ['PUT', '/api/queues/q1', { visibilityTimeoutMs: -1 }, 400, 'INVALID_ATTRIBUTE'],
    ['PUT', '/api/queues/q2', { noSuchAttribute: 1 }, 400, 'INVALID_ATTRIBUTE'],
    ['PUT', '/api/queues/plain', { fifo: true }, 400, 'INVALID_ATTRIBUTE'],
    ['POST', '/api/queues/big/messages', { body: 'x'.repeat(2000) }, 413, 'MESSAGE_TOO_LARGE'],
    ['POST', '/api/queues/q3/messages', { body: 42 }, 400, 'INVALID_ARGUMENT'],
    ['POST', '/api/queues/q4/receive', { max: 11 }, 400, 'INVALID_ARGUMENT'],
    ['POST', '/api/subscriptions', { pattern: 't.*', queue: 'q5', filterPolicy: { a: [{ numeric: ['>', 'x'] }] } }, 400, 'INVALID_FILTER_POLICY'],
    ['POST', '/api/subscriptions', { pattern: 't.*', queue: 'q5', filterPolicy: 7 }, 400, 'INVALID_FILTER_POLICY'],
    ['POST', '/api/subscriptions', { pattern: 'a.>.b', queue: 'q6' }, 400, 'INVALID_NAME'],
    ['GET', '/api/queues/missing', undefined, 404, 'NOT_FOUND'],
    ['GET', '/api/nothing-here', undefined, 404, 'NOT_FOUND'],
    ['PUT', '/api/streams/s1', { shardCount: 0 }, 400, 'INVALID_ATTRIBUTE'],
    ['POST', '/api/streams/s2/records', { body: 'no key' }, 400, 'INVALID_ARGUMENT'],
    ['GET', '/api/queues/%E0%A4%A', undefined, 400, 'INVALID_ARGUMENT'],
  ])('%s %s → %s %s', async (method, path, body, status, code) => {
    const r = await api(port, method, path, body);
    expect(r.status).toBe(status);
    expect(r.json.error.code).toBe(code);
    expect(typeof r.json.error.message).toBe('string');
  });

  it('answers malformed JSON with INVALID_JSON, wrong methods with 405, and keeps serving', async () => {
    const bad = await api(port, 'PUT', '/api/queues/json', '{"visibilityTimeoutMs": ');
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('INVALID_JSON');
    const notArray = await api(port, 'PUT', '/api/queues/json', '[1,2]');
    expect(notArray.json.error.code).toBe('INVALID_ARGUMENT');
    const wrongMethod = await api(port, 'PATCH', '/api/queues/json');
    expect(wrongMethod.status).toBe(405);
    const huge = await api(port, 'POST', '/api/queues/json/messages', JSON.stringify({ body: 'x'.repeat(10_000) }));
    expect(huge.status).toBe(413);
    expect((await api(port, 'GET', '/healthz')).status).toBe(200);
  });
});

describe('admin API: authentication', () => {
  it('requires an administrator when users are configured', async () => {
    const [adminHash, userHash] = await Promise.all([hashPassword('s3cret'), hashPassword('pw')]);
    const secured = await startTestServer({
      protocols: [],
      overrides: {
        security: {
          users: [{ name: 'root', passwordHash: adminHash, groups: ['admins'] }, { name: 'app', passwordHash: userHash, groups: [] }],
          acl: [
            { principal: 'group:admins', kinds: ['queue', 'topic', 'stream'], pattern: '>', allow: ['admin'] },
            { principal: 'app', kinds: ['queue'], pattern: 'app.>', allow: ['read', 'write'] },
          ],
        },
      },
    });
    try {
      const p = secured.ports.admin!;
      const basic = (u: string, pw: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${pw}`).toString('base64')}` });
      const anon = await api(p, 'GET', '/api/queues');
      expect(anon.status).toBe(401);
      expect(anon.json.error.code).toBe('UNAUTHENTICATED');
      expect((await api(p, 'GET', '/api/queues', undefined, basic('root', 'wrong'))).status).toBe(401);
      const notAdmin = await api(p, 'GET', '/api/queues', undefined, basic('app', 'pw'));
      expect(notAdmin.status).toBe(403);
      expect(notAdmin.json.error.code).toBe('FORBIDDEN');
      expect((await api(p, 'GET', '/api/queues', undefined, basic('root', 's3cret'))).status).toBe(200);
      expect((await api(p, 'GET', '/healthz')).status).toBe(200);
    } finally {
      await secured.cleanup();
    }
  });
});
