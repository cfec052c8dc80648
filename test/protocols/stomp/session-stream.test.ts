/**
 * STOMP consumers of /stream/NAME: replay from first and from an offset, next, flow control by
 * the prefetch window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { header } from '../../../protocols/stomp/frame.js';
import type { TestServer } from '../../support/test-server.js';
import { RawClient, startStompServer, waitFor } from './session-helpers.js';

let ts: TestServer;
let port: number;

beforeAll(async () => {
  ts = await startStompServer();
  port = ts.ports.stomp!;
});

afterAll(async () => {
  await ts.cleanup();
});

const messages = (c: RawClient) => c.frames.filter((f) => f.command === 'MESSAGE');

async function produce(stream: string, n: number, prefix = 'r'): Promise<void> {
  const p = await RawClient.connect(port);
  for (let i = 0; i < n; i++) p.frame('SEND', { destination: `/stream/${stream}`, receipt: `s${i}` }, `${prefix}${i}`);
  await p.receipt(`s${n - 1}`);
  p.frame('DISCONNECT', { receipt: 'bye' });
  await p.receipt('bye');
}

describe('STOMP streams', () => {
  it('replays from first and from an offset; each MESSAGE carries x-stream-offset', async () => {
    await produce('events', 10);
    const all = await RawClient.connect(port);
    all.frame('SUBSCRIBE', { id: 'a', destination: '/stream/events', 'x-stream-offset': 'first' });
    await waitFor(() => messages(all).length === 10, 'ten records');
    expect(messages(all).map((m) => m.body.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`));
    const offsets = messages(all).map((m) => Number(header(m, 'x-stream-offset')));
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(header(messages(all)[0]!, 'destination')).toBe('/stream/events');
    expect(header(messages(all)[0]!, 'message-id')).toBe(String(offsets[0]));

    const from = await RawClient.connect(port);
    from.frame('SUBSCRIBE', { id: 'b', destination: '/stream/events', 'x-stream-offset': `offset=${offsets[6]}` });
    await waitFor(() => messages(from).length === 4, 'four records');
    expect(messages(from).map((m) => m.body.toString())).toEqual(['r6', 'r7', 'r8', 'r9']);

    const next = await RawClient.connect(port);
    next.frame('SUBSCRIBE', { id: 'c', destination: '/stream/events', receipt: 'sub' }); // default: next
    await next.receipt('sub');
    await produce('events', 1, 'new');
    await waitFor(() => messages(next).length === 1, 'the new record');
    expect(messages(next)[0]!.body.toString()).toBe('new0');
    await waitFor(() => messages(all).length === 11, 'followers see it too');
    for (const c of [all, from, next]) c.close();
  });

  it('starts at a timestamp (ms) or at the last record', async () => {
    await produce('timed', 3, 'old');
    await new Promise((r) => setTimeout(r, 20));
    const t = Date.now();
    await new Promise((r) => setTimeout(r, 5));
    await produce('timed', 2, 'new');
    const byTime = await RawClient.connect(port);
    byTime.frame('SUBSCRIBE', { id: 't', destination: '/stream/timed', 'x-stream-offset': `timestamp=${t}` });
    await waitFor(() => messages(byTime).length === 2, 'records since t');
    expect(messages(byTime).map((m) => m.body.toString())).toEqual(['new0', 'new1']);
    const last = await RawClient.connect(port);
    last.frame('SUBSCRIBE', { id: 'l', destination: '/stream/timed', 'x-stream-offset': 'last' });
    await waitFor(() => messages(last).length === 1, 'the last record');
    expect(messages(last)[0]!.body.toString()).toBe('new1');
    byTime.close();
    last.close();
  });

  it('pauses while the prefetch window is full and resumes on ACK', async () => {
    await produce('flow', 12);
    const c = await RawClient.connect(port);
    c.frame('SUBSCRIBE', { id: 'f', destination: '/stream/flow', 'x-stream-offset': 'first', ack: 'client', 'prefetch-count': '5' });
    await waitFor(() => messages(c).length === 5, 'first window');
    await new Promise((r) => setTimeout(r, 50));
    expect(messages(c)).toHaveLength(5);
    c.frame('ACK', { id: header(messages(c)[4]!, 'ack')! }); // cumulative: frees the whole window
    await waitFor(() => messages(c).length === 10, 'second window');
    await new Promise((r) => setTimeout(r, 50));
    expect(messages(c)).toHaveLength(10);
    c.frame('ACK', { id: header(messages(c)[9]!, 'ack')! });
    await waitFor(() => messages(c).length === 12, 'the rest');
    expect(messages(c).map((m) => m.body.toString())).toEqual(Array.from({ length: 12 }, (_, i) => `r${i}`));
    c.close();
  });

  it('rejects a bad x-stream-offset and a stream name used by a queue', async () => {
    const c = await RawClient.connect(port);
    c.frame('SUBSCRIBE', { id: 'x', destination: '/stream/events', 'x-stream-offset': 'yesterday' });
    expect(header(await c.nextCommand('ERROR'), 'message')).toMatch(/x-stream-offset/);
    await c.waitClosed();
    await ts.server.broker.queue('plainq');
    const d = await RawClient.connect(port);
    d.frame('SUBSCRIBE', { id: 'x', destination: '/stream/plainq' });
    expect(header(await d.nextCommand('ERROR'), 'message')).toMatch(/queue/);
    await d.waitClosed();
  });
});
