import { describe, expect, it } from 'vitest';
import { formatDestination, hasWildcard, parseDestination, type StompDestinationKind } from '../../../protocols/stomp/destination.js';
import { isStompProtocolError } from '../../../protocols/stomp/errors.js';

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('parseDestination', () => {
  it.each([
    ['/queue/orders', 'queue', 'orders'],
    ['/queue/a.b.c', 'queue', 'a.b.c'],
    ['/queue/orders.fifo', 'queue', 'orders.fifo'],
    ['/queue/a/b', 'queue', 'a/b'],
    ['/topic/sensors.t1', 'topic', 'sensors.t1'],
    ['/topic/sensors.*.t1', 'topic', 'sensors.*.t1'],
    ['/topic/sensors.>', 'topic', 'sensors.>'],
    ['/topic/a.#', 'topic', 'a.#'],
    ['/stream/clicks', 'stream', 'clicks'],
    ['/temp-queue/reply', 'temp-queue', 'reply'],
    ['/temp-topic/events', 'temp-topic', 'events'],
    ['queue://orders', 'queue', 'orders'],
    ['topic://sensors.t1', 'topic', 'sensors.t1'],
    ['stream://clicks', 'stream', 'clicks'],
    ['temp-queue://r', 'temp-queue', 'r'],
    ['temp-topic://t', 'temp-topic', 't'],
    ['/amq/queue/orders', 'queue', 'orders'],
    ['/exchange/amq.topic/sensors.t1', 'topic', 'sensors.t1'],
    ['/exchange/amq.topic/sensors.*', 'topic', 'sensors.*'],
    ['/exchange/amq.topic/sensors.#', 'topic', 'sensors.>'],
    ['/exchange/amq.topic/#', 'topic', '>'],
    ['/exchange/amq.topic/a#.b', 'topic', 'a#.b'],
    ['orders', 'queue', 'orders'],
    ['a.b.c', 'queue', 'a.b.c'],
    ['queue', 'queue', 'queue'],
    ['/queue//x', 'queue', '/x'],
  ] as const)('%j → %s %j', (dest, kind, name) => {
    expect(parseDestination(dest)).toEqual({ kind, name });
  });

  it.each([
    [undefined, /missing destination/],
    ['', /missing destination/],
    ['/queue/', /empty queue name/],
    ['/topic/', /empty topic name/],
    ['/stream/', /empty stream name/],
    ['/temp-queue/', /empty temp-queue name/],
    ['/temp-topic/', /empty temp-topic name/],
    ['queue://', /empty queue name/],
    ['/amq/queue/', /empty queue name/],
    ['/exchange/amq.topic/', /empty topic name/],
    ['/exchange/amq.topic', /empty topic name/],
    ['/exchange/amq.direct/key', /only the amq\.topic exchange/],
    ['/exchange/', /only the amq\.topic exchange/],
    ['/queue', /expected \/queue\/NAME/],
    ['/foo/bar', /expected \/queue\/NAME/],
    ['/', /expected/],
    ['jms://x', /expected/],
  ] as const)('%j is rejected (%s)', (dest, message) => {
    const err = errorOf(() => parseDestination(dest));
    expect(isStompProtocolError(err, 'INVALID_DESTINATION')).toBe(true);
    expect((err as Error).message).toMatch(message);
  });
});

describe('formatDestination', () => {
  it.each([
    ['queue', 'orders', '/queue/orders'],
    ['topic', 'sensors.t1', '/topic/sensors.t1'],
    ['stream', 'clicks', '/stream/clicks'],
    ['temp-queue', 'r', '/temp-queue/r'],
    ['temp-topic', 't', '/temp-topic/t'],
  ] as const)('(%s, %j) → %j and parses back', (kind, name, expected) => {
    expect(formatDestination(kind, name)).toBe(expected);
    expect(parseDestination(expected)).toEqual({ kind, name });
  });

  it('rejects an empty name and an unknown kind', () => {
    expect(isStompProtocolError(errorOf(() => formatDestination('queue', '')), 'INVALID_DESTINATION')).toBe(true);
    expect(() => formatDestination('exchange' as StompDestinationKind, 'x')).toThrow(RangeError);
  });
});

describe('hasWildcard', () => {
  it.each([
    ['a.b', false], ['a.*', true], ['*', true], ['a.>', true], ['a*.b', false], ['a.b>', false], ['>', true],
  ] as const)('%j → %s', (name, expected) => {
    expect(hasWildcard(name)).toBe(expected);
  });
});
