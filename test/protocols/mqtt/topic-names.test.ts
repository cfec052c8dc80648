import { describe, expect, it } from 'vitest';
import {
  coreToFilter, coreToTopic, filterToCore, filterToCorePatterns, parseShared, topicToCore,
} from '../../../protocols/mqtt/topic-names.js';
import { validateName, validatePattern } from '../../../src/core/names.js';
import { matchesPattern } from '../../../src/core/topic/topic-matcher.js';

/** [MQTT topic, core name] — every row must round-trip both ways. */
const TOPICS: Array<[string, string]> = [
  ['a', 'a'],
  ['a/b/c', 'a.b.c'],
  ['sensors/t1', 'sensors.t1'],
  ['v1.2/status', 'v1%2E2.status'],
  ['a.b', 'a%2Eb'],
  ['100%', '100%25'],
  ['%', '%25'],
  ['%25', '%2525'],
  ['x*y/z>w', 'x%2Ay.z%3Ew'],
  ['/a/b', '%.a.b'],
  ['a/b/', 'a.b.%'],
  ['a//b', 'a.%.b'],
  ['/', '%.%'],
  ['//', '%.%.%'],
  [' lead/x', '%20lead.x'],
  ['x/trail ', 'x.trail%20'],
  ['  ', '%20%20'],
  ['living room/temp', 'living room.temp'],
  ['a /b', 'a .b'],
  ['tab\there', 'tab%09here'],
  ['nbsp\u00a0', 'nbsp%A0'],
  ['\u3000ideo', '%u3000ideo'],
  ['c1\u0085x', 'c1%85x'],
  ['$SYS/broker/load', '$SYS.broker.load'],
  ['$aws/things/t1', '$aws.things.t1'],
  ['héllo/wörld/温度', 'héllo.wörld.温度'],
  ['emoji/😀', 'emoji.😀'],
];

/** [MQTT filter, core patterns] */
const FILTERS: Array<[string, string[]]> = [
  ['a/b', ['a.b']],
  ['+', ['*']],
  ['#', ['>']],
  ['a/+', ['a.*']],
  ['+/b', ['*.b']],
  ['a/#', ['a', 'a.>']],
  ['a/+/c/#', ['a.*.c', 'a.*.c.>']],
  ['/#', ['%.>']],
  ['+/+', ['*.*']],
  ['a.b/+', ['a%2Eb.*']],
  ['$SYS/#', ['$SYS', '$SYS.>']],
  ['/+/', ['%.*.%']],
];

describe('MQTT topic names ↔ core names', () => {
  it.each(TOPICS)('%j ↔ %j', (mqtt, core) => {
    expect(topicToCore(mqtt)).toBe(core);
    expect(coreToTopic(core)).toBe(mqtt);
    expect(() => validateName(core)).not.toThrow();
  });

  it.each(FILTERS)('filter %j → %j', (filter, patterns) => {
    expect(filterToCorePatterns(filter)).toEqual(patterns);
    for (const p of patterns) expect(() => validatePattern(p)).not.toThrow();
    expect(coreToFilter(filterToCore(filter))).toBe(filter);
  });

  it('rejects what MQTT forbids in names and filters', () => {
    expect(() => topicToCore('')).toThrow(/empty/);
    expect(() => topicToCore('a/+/b')).toThrow(/wildcard/);
    expect(() => topicToCore('a/#')).toThrow(/wildcard/);
    expect(() => filterToCore('')).toThrow(/empty/);
    expect(() => filterToCore('a/b+')).toThrow(/whole level/);
    expect(() => filterToCore('a/#/b')).toThrow(/last level/);
    expect(() => filterToCore('a#')).toThrow(/last level/);
    expect(() => topicToCore('x'.repeat(2000))).toThrow(/longer than/);
  });

  it('decodes foreign core names leniently', () => {
    expect(coreToTopic('orders.eu')).toBe('orders/eu');
    expect(coreToTopic('rate.50%')).toBe('rate/50%');
    expect(coreToTopic('a.%zz')).toBe('a/%zz');
    expect(coreToTopic('path/like.name')).toBe('path/like/name');
  });

  it('core matching of mapped patterns equals MQTT matching', () => {
    const topics = ['a', 'a/b', 'a/b/c', '/a', 'a/', '', 'a.b', 'a.b/c', '$SYS/x', '$SYS', 'b', 'a//b', '/'];
    const filters = ['#', '+', 'a/#', 'a/+', '+/b', '+/+', 'a/b/#', '/#', '+/#', '$SYS/#', '$SYS/+', 'a.b/#', '/+', 'a/+/b', '+/+/+'];
    for (const t of topics.filter((x) => x.length > 0)) {
      const name = topicToCore(t);
      for (const f of filters) {
        const core = filterToCorePatterns(f).some((p) => matchesPattern(p, name));
        expect({ t, f, matched: core }).toEqual({ t, f, matched: mqttMatches(f, t) });
      }
    }
  });

  it('parses shared subscriptions', () => {
    expect(parseShared('a/b')).toBeUndefined();
    expect(parseShared('$share/g1/sensors/+')).toEqual({ group: 'g1', filter: 'sensors/+' });
    expect(parseShared('$share/g/#')).toEqual({ group: 'g', filter: '#' });
    expect(() => parseShared('$share/g')).toThrow(/no topic filter/);
    expect(() => parseShared('$share//a')).toThrow(/share name/);
    expect(() => parseShared('$share/g+/a')).toThrow(/share name/);
    expect(() => parseShared('$share/g/a#')).toThrow(/last level/);
  });
});

/** Reference MQTT 3.1.1 matcher (section 4.7). */
function mqttMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
