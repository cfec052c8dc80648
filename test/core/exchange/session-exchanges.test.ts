/** ServerSession exchange operations: publish, declare, delete, bind and unbind, each authorized by the ACL. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { AclEntry } from '../../../src/config/schema.js';
import type { Broker } from '../../../src/core/broker.js';
import { patternCovers } from '../../../src/security/acl.js';
import { openBroker, session } from '../session/helpers.js';
import { drainQueue, errorCode, exchangeDest, msg, queueDest, spec } from './helpers.js';

let broker: Broker;
beforeEach(async () => {
  ({ broker } = await openBroker());
});

const allow = (kinds: AclEntry['kinds'], pattern: string, ...perms: AclEntry['allow']): AclEntry => ({ principal: '*', kinds, pattern, allow: perms });

describe('session exchange operations', () => {
  it('with no ACL everything is allowed', async () => {
    const s = session(broker);
    await s.declareExchange('x', spec('direct'));
    await broker.createQueue('q');
    await s.bind({ source: 'x', destination: queueDest('q'), routingKey: 'k', arguments: {} });
    expect((await s.publish({ exchange: 'x', routingKey: 'k', message: msg('m') })).routed).toBe(1);
    expect(await s.unbind({ source: 'x', destination: queueDest('q'), routingKey: 'k', arguments: {} })).toBe(true);
    expect(await s.deleteExchange('x')).toBe(true);
  });

  it('publish needs write on the exchange; the default exchange write on the queue; amq.topic write on the topic', async () => {
    await broker.exchanges.declare('orders', spec('fanout'));
    await broker.exchanges.declare('secret', spec('fanout'));
    await broker.createQueue('inbox');
    await broker.createQueue('private');
    await broker.exchanges.bind({ source: 'orders', destination: queueDest('inbox'), routingKey: '', arguments: {} });
    const s = session(broker, { acl: [allow(['exchange'], 'orders', 'write'), allow(['queue'], 'inbox', 'write'), allow(['topic'], 'sensors.>', 'write')] });
    expect((await s.publish({ exchange: 'orders', routingKey: '', message: msg('1') })).routed).toBe(1);
    expect(() => s.publish({ exchange: 'secret', routingKey: '', message: msg('2') })).toThrow(/may not write exchange secret/);
    expect((await s.publish({ exchange: '', routingKey: 'inbox', message: msg('3') })).routed).toBe(1);
    expect(() => s.publish({ exchange: '', routingKey: 'private', message: msg('4') })).toThrow(/may not write queue private/);
    expect((await s.publish({ exchange: 'amq.topic', routingKey: 'sensors.t1', message: msg('5') })).routed).toBe(0);
    expect(() => s.publish({ exchange: 'amq.topic', routingKey: 'billing.x', message: msg('6') })).toThrow(/may not write topic billing.x/);
    expect(await drainQueue(broker, 'inbox')).toEqual(['1', '3']);
  });

  it('the session’s own temporary queue needs no grant through the default exchange', async () => {
    const s = session(broker, { acl: [allow(['queue'], 'nothing', 'read')] });
    const name = await s.replyToName('replies');
    expect((await s.publish({ exchange: '', routingKey: name, message: msg('r') })).routed).toBe(1);
  });

  it('declare and delete need admin on the exchange; passive needs nothing and answers NOT_FOUND', async () => {
    const s = session(broker, { acl: [allow(['exchange'], 'app.>', 'admin')] });
    await s.declareExchange('app.events', spec('topic'));
    expect(await errorCode(s.declareExchange('other', spec('topic')))).toBe('FORBIDDEN');
    expect(broker.exchanges.get('other')).toBeUndefined();
    expect(await s.declareExchange('amq.direct', spec('bogus' as 'direct'), { passive: true })).toMatchObject({ name: 'amq.direct' });
    expect(await errorCode(s.declareExchange('missing', spec('direct'), { passive: true }))).toBe('NOT_FOUND');
    expect(await errorCode(s.deleteExchange('amq.direct'))).toBe('FORBIDDEN'); // no grant on it (and built in)
    expect(await s.deleteExchange('app.events')).toBe(true);
  });

  it('binding a queue needs write on the queue and read on the source exchange', async () => {
    await broker.exchanges.declare('src', spec('direct'));
    await broker.createQueue('mine');
    await broker.createQueue('theirs');
    const s = session(broker, { acl: [allow(['queue'], 'mine', 'write'), allow(['exchange'], 'src', 'read')] });
    const b = (queue: string) => ({ source: 'src', destination: queueDest(queue), routingKey: 'k', arguments: {} });
    await s.bind(b('mine'));
    expect(await errorCode(s.bind(b('theirs')))).toBe('FORBIDDEN');
    expect(await s.unbind(b('mine'))).toBe(true);
    const noRead = session(broker, { acl: [allow(['queue'], 'mine', 'write')] });
    expect(await errorCode(noRead.bind(b('mine')))).toBe('FORBIDDEN');
  });

  it('binding an exchange needs write on the destination and read on the source', async () => {
    await broker.exchanges.declare('a', spec('fanout'));
    await broker.exchanges.declare('b', spec('fanout'));
    const s = session(broker, { acl: [allow(['exchange'], 'b', 'write'), allow(['exchange'], 'a', 'read')] });
    await s.bind({ source: 'a', destination: exchangeDest('b'), routingKey: '', arguments: {} });
    expect(await errorCode(s.bind({ source: 'b', destination: exchangeDest('a'), routingKey: '', arguments: {} }))).toBe('FORBIDDEN');
  });

  it('amq.topic bindings are checked against topic ACLs: read on the pattern, # covered only by >', async () => {
    await broker.createQueue('q');
    const s = session(broker, { acl: [allow(['queue'], 'q', 'write'), allow(['topic'], 'sensors.>', 'read'), allow(['topic'], 'logs.*', 'read')] });
    const b = (routingKey: string) => ({ source: 'amq.topic', destination: queueDest('q'), routingKey, arguments: {} });
    await s.bind(b('sensors.*'));
    await s.bind(b('sensors.#.t'));
    await s.bind(b('logs.app'));
    expect(await errorCode(s.bind(b('sensors.#')))).toBe('FORBIDDEN'); // # may match `sensors` itself, which sensors.> does not cover
    expect(await errorCode(s.bind(b('logs.#')))).toBe('FORBIDDEN');
    expect(await errorCode(s.bind(b('#')))).toBe('FORBIDDEN');
    expect(await errorCode(s.bind(b('a..b')))).toBe('INVALID_NAME');
    // Into the topic space from an exchange: write on every topic.
    await broker.exchanges.declare('feed', spec('fanout'));
    const into = { source: 'feed', destination: exchangeDest('amq.topic'), routingKey: '', arguments: {} };
    expect(await errorCode(session(broker, { acl: [allow(['exchange'], 'feed', 'read'), allow(['topic'], 'sensors.>', 'write')] }).bind(into))).toBe('FORBIDDEN');
    await session(broker, { acl: [allow(['exchange'], 'feed', 'read'), allow(['topic'], '>', 'write')] }).bind(into);
  });
});

describe('exchange publishes in a transaction', () => {
  it('run at commit, in order, and are discarded by rollback', async () => {
    await broker.createQueue('q');
    const s = session(broker);
    s.begin('t');
    s.stage('t', { kind: 'publish', request: { exchange: '', routingKey: 'q', message: msg('a') } });
    s.stage('t', { kind: 'publish', request: { exchange: 'amq.fanout', routingKey: '', message: msg('unrouted') } });
    s.stage('t', { kind: 'publish', request: { exchange: '', routingKey: 'q', message: msg('b') } });
    expect(await drainQueue(broker, 'q')).toEqual([]);
    await s.commit('t');
    expect(await drainQueue(broker, 'q')).toEqual(['a', 'b']);
    s.begin('t2');
    s.stage('t2', { kind: 'publish', request: { exchange: '', routingKey: 'q', message: msg('never') } });
    s.rollback('t2');
    expect(await drainQueue(broker, 'q')).toEqual([]);
  });
});

describe('ACL coverage of the core-internal ** level', () => {
  it.each<[string, string, boolean]>([
    ['>', '**', true],
    ['>', 'a.**', true],
    ['a.>', 'a.**', false],
    ['a.>', 'a.**.b', true],
    ['a.>', 'a.*.**', true],
    ['a.*', 'a.**', false],
    ['a.**', 'a.**', false],
    ['*', '**', false],
  ])('ACL %s covers %s → %s', (acl, name, expected) => {
    expect(patternCovers(acl, name)).toBe(expected);
  });
});
