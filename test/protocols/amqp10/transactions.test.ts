/**
 * AMQP 1.0 local transactions (part 4 of the spec) with the real rhea client as the
 * transaction controller (rhea-transactions.ts builds the coordinator attach, declare/discharge
 * bodies and transactional states with rhea's own types): declare → declared, transactional
 * posting and retirement, commit and rollback, unknown transactions, the control link or the
 * connection going away, and the session layer's limits.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import rhea, { type Delivery, type Message, type Receiver } from 'rhea';
import { createAmqp10Protocol } from '../../../protocols/amqp10/index.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { adminApi, collect, connect, openReceiver, openSender, sendAndSettle, waitFor, type Client } from './helpers.js';
import {
  amqpValuePayload, requestAcquisition, sendInTransaction, sendWithTransferState, settleInTransaction, settlement, transactionalState, TransactionRefused,
  TxController,
} from './rhea-transactions.js';

let server: TestServer;
const clients: Client[] = [];

async function client(port = server.ports.amqp!): Promise<Client> {
  const c = await connect({ port });
  clients.push(c);
  return c;
}

const stats = async (queue: string, s = server): Promise<{ visible: number; inFlight: number; consumers: number }> => {
  const r = await adminApi(s.ports.admin!, 'GET', `/api/queues/${queue}`);
  return r.status === 200 ? r.json.stats : { visible: 0, inFlight: 0, consumers: 0 };
};

function refusal(err: unknown): { condition?: string; description?: string } {
  expect(err).toBeInstanceOf(TransactionRefused);
  return err as TransactionRefused;
}

async function receiveOne(receiver: Receiver, got: Array<{ message: Message; delivery: Delivery }>, n: number, what: string): Promise<{ message: Message; delivery: Delivery }> {
  receiver.add_credit(1);
  await waitFor(() => got.length >= n, 10_000, what);
  return got[n - 1]!;
}

beforeAll(async () => {
  server = await startTestServer({ protocols: [createAmqp10Protocol()] });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await server?.cleanup();
});

describe('AMQP 1.0 transactions', () => {
  it('declares transactions on a coordinator link: declared with a binary txn-id, local transactions offered', async () => {
    const c = await client();
    const tx = await TxController.open(c.connection);
    expect(tx.capabilities).toContain('amqp:local-transactions');
    expect(tx.capabilities).not.toContain('amqp:distributed-transactions');
    const a = await tx.declare();
    const b = await tx.declare();
    expect(Buffer.isBuffer(a)).toBe(true);
    expect(a.length).toBeGreaterThan(0);
    expect(a.length).toBeLessThanOrEqual(32);
    expect(a.equals(b)).toBe(false);
    await tx.rollback(a);
    await tx.commit(b);
  });

  it('a transactional send is accepted provisionally and delivered only once the transaction commits', async () => {
    const c = await client();
    const tx = await TxController.open(c.connection);
    const sender = await openSender(c.connection, { target: { address: 'queue://tx.commit' } });
    const txnId = await tx.declare();
    const r = await sendInTransaction(sender, txnId, { body: 'in-tx', durable: true });
    expect(r.outcome).toBe('accepted');
    expect(r.broker).toEqual({ kind: 'transactional-state', txnId, outcome: 'accepted' });
    expect((await stats('tx.commit')).visible, 'not in the queue before commit').toBe(0);

    const receiver = await openReceiver(c.connection, { source: { address: 'queue://tx.commit' } });
    const got = collect(receiver);
    receiver.add_credit(5);
    await tx.commit(txnId);
    expect((await stats('tx.commit')).visible + (await stats('tx.commit')).inFlight, 'in the queue once the discharge is accepted').toBe(1);
    await waitFor(() => got.length === 1, 10_000, 'the committed message');
    expect(got[0]!.message.body).toBe('in-tx');
  });

  it('rollback discards transactional sends (also those on an anonymous-relay link)', async () => {
    const c = await client();
    const tx = await TxController.open(c.connection);
    const sender = await openSender(c.connection, { target: { address: 'queue://tx.rollback' } });
    const relay = await openSender(c.connection, { target: {} } as never);
    const txnId = await tx.declare();
    expect((await sendInTransaction(sender, txnId, { body: 'discarded-1' })).outcome).toBe('accepted');
    expect((await sendInTransaction(relay, txnId, { to: 'queue://tx.rollback', body: 'discarded-2' })).outcome).toBe('accepted');
    await tx.rollback(txnId);
    expect((await sendAndSettle(sender, { body: 'plain' })).outcome).toBe('accepted');
    const receiver = await openReceiver(c.connection, { source: { address: 'queue://tx.rollback' } });
    const got = collect(receiver);
    receiver.add_credit(10);
    await waitFor(() => got.length === 1, 10_000, 'the plain message');
    expect(got[0]!.message.body).toBe('plain');
    expect(await stats('tx.rollback')).toMatchObject({ visible: 0, inFlight: 1 });
  });

  it('a transactional accept takes effect at commit; after a rollback the message is redelivered (delivery-count 1)', async () => {
    const c = await client();
    const tx = await TxController.open(c.connection);
    const sender = await openSender(c.connection, { target: { address: 'queue://tx.ack' } });
    await sendAndSettle(sender, { body: 'work', durable: true });
    const receiver = await openReceiver(c.connection, { source: { address: 'queue://tx.ack' } });
    const got = collect(receiver);
    const first = await receiveOne(receiver, got, 1, 'the message');
    expect(first.message.delivery_count ?? 0).toBe(0);

    const t1 = await tx.declare();
    await settleInTransaction(first.delivery, t1, 'accepted');
    await waitFor(async () => (await stats('tx.ack')).inFlight === 1, 10_000, 'still in flight');
    await tx.rollback(t1);
    const again = await receiveOne(receiver, got, 2, 'the redelivery after rollback');
    expect(again.message.body).toBe('work');
    expect(again.message.delivery_count).toBe(1);
    expect(again.message.first_acquirer).toBe(false);

    const t2 = await tx.declare();
    await settleInTransaction(again.delivery, t2, 'accepted');
    expect(await stats('tx.ack'), 'the accept waits for the commit').toMatchObject({ visible: 0, inFlight: 1 });
    await tx.commit(t2);
    expect(await stats('tx.ack'), 'gone once the discharge is accepted').toMatchObject({ visible: 0, inFlight: 0 });
    await c.close();
    const d = await client();
    const r2 = await openReceiver(d.connection, { source: { address: 'queue://tx.ack' } });
    const got2 = collect(r2);
    r2.add_credit(5);
    const probe = await openSender(d.connection, { target: { address: 'queue://tx.ack' } });
    await sendAndSettle(probe, { body: 'after' });
    await waitFor(() => got2.length === 1, 10_000, 'the probe');
    expect(got2.map((g) => g.message.body), 'the committed message is not redelivered').toEqual(['after']);
  });

  it('an outcome the client leaves unsettled stays pending after a rollback and is settled by the broker after a commit', async () => {
    const c = await client();
    const tx = await TxController.open(c.connection);
    const sender = await openSender(c.connection, { target: { address: 'queue://tx.unsettled' } });
    await sendAndSettle(sender, { body: 'u' });
    const receiver = await openReceiver(c.connection, { source: { address: 'queue://tx.unsettled' }, rcv_settle_mode: 1 } as never);
    const got = collect(receiver);
    const m = await receiveOne(receiver, got, 1, 'the message');
    const t1 = await tx.declare();
    await settleInTransaction(m.delivery, t1, 'accepted', false);
    await tx.rollback(t1);
    receiver.add_credit(1);
    const t2 = await tx.declare();
    await settleInTransaction(m.delivery, t2, 'accepted', false);
    const settled = new Promise<void>((resolve) => receiver.on('settled', (ctx) => ctx.delivery === m.delivery && resolve()));
    expect(await stats('tx.unsettled'), 'no redelivery: the client still holds it').toMatchObject({ visible: 0, inFlight: 1 });
    await tx.commit(t2);
    await settled;
    expect(await stats('tx.unsettled')).toMatchObject({ visible: 0, inFlight: 0 });
    expect(got).toHaveLength(1);
  });

  it('released, modified and rejected outcomes in a transaction apply at commit', async () => {
    const c = await client();
    const tx = await TxController.open(c.connection);
    const sender = await openSender(c.connection, { target: { address: 'queue://tx.outcomes' } });
    for (const body of ['rel', 'mod', 'rej']) await sendAndSettle(sender, { body });
    const receiver = await openReceiver(c.connection, { source: { address: 'queue://tx.outcomes' } });
    const got = collect(receiver);
    receiver.add_credit(3);
    await waitFor(() => got.length === 3, 10_000, 'three messages');
    const txnId = await tx.declare();
    await settleInTransaction(got[0]!.delivery, txnId, 'released');
    await settleInTransaction(got[1]!.delivery, txnId, 'modified', true, { delivery_failed: true });
    await settleInTransaction(got[2]!.delivery, txnId, 'rejected', true, { error: { condition: 'app:bad', description: 'no' } });
    await waitFor(async () => (await stats('tx.outcomes')).inFlight === 3, 10_000, 'nothing applied yet');
    await tx.commit(txnId);
    receiver.add_credit(2);
    await waitFor(() => got.length === 5, 10_000, 'the released and modified ones back');
    const back = Object.fromEntries(got.slice(3).map((g) => [g.message.body, g.message.delivery_count ?? 0]));
    expect(back, 'released is not counted, modified(delivery-failed) is; rejected is gone').toEqual({ rel: 0, mod: 1 });
  });

  it('understands symbolic descriptors and a declare with a null global-id, as Qpid Proton sends them', async () => {
    const t = rhea.types as unknown as {
      described(d: unknown, v: unknown): unknown; wrap_symbol(s: string): unknown; wrap_list(l: unknown[]): unknown;
      wrap_binary(b: Buffer): unknown; Null(): unknown; True(): unknown; False(): unknown;
    };
    const sym = (name: string, fields: unknown[]): unknown => t.described(t.wrap_symbol(name), t.wrap_list(fields));
    const c = await client();
    const tx = await TxController.open(c.connection);
    const sender = await openSender(c.connection, { target: { address: 'queue://tx.symbolic' } });
    await sendAndSettle(sender, { body: 'to-ack' });
    const receiver = await openReceiver(c.connection, { source: { address: 'queue://tx.symbolic' } });
    const got = collect(receiver);
    const m = await receiveOne(receiver, got, 1, 'the message');

    const declared = await tx.control(amqpValuePayload(sym('amqp:declare:list', [t.Null()])));
    expect(declared.broker?.kind).toBe('declared');
    const txnId = declared.broker!.txnId;
    const posted = await sendWithTransferState(sender, sym('amqp:transactional-state:list', [t.wrap_binary(txnId)]), { body: 'posted' });
    const answer = await settlement(sender, posted);
    expect(answer.broker).toEqual({ kind: 'transactional-state', txnId, outcome: 'accepted' });
    m.delivery.update(true, sym('amqp:transactional-state:list', [t.wrap_binary(txnId), sym('amqp:accepted:list', [])]) as never);
    await new Promise((resolve) => setImmediate(resolve));
    const discharged = await tx.control(amqpValuePayload(sym('amqp:discharge:list', [t.wrap_binary(txnId), t.False()])));
    expect(discharged.outcome).toBe('accepted');
    receiver.add_credit(1);
    await waitFor(() => got.length === 2, 10_000, 'the posted message');
    expect(got[1]!.message.body, 'the accept was committed: only the posted message comes').toBe('posted');
  });

  it('transactional work on links of another AMQP session of the connection (multi-ssns-per-txn)', async () => {
    const c = await client();
    const tx = await TxController.open(c.connection);
    expect(tx.capabilities).toContain('amqp:multi-ssns-per-txn');
    const other = c.connection.create_session();
    other.begin();
    const sender = other.open_sender({ target: { address: 'queue://tx.sessions' } });
    await new Promise((resolve) => sender.once('sendable', resolve));
    const txnId = await tx.declare();
    expect((await sendInTransaction(sender, txnId, { body: 'other session' })).outcome).toBe('accepted');
    expect((await stats('tx.sessions')).visible).toBe(0);
    await tx.commit(txnId);
    expect((await stats('tx.sessions')).visible).toBe(1);
  });

  it('an outcome for a delivery that already has one in another open transaction closes the control link with amqp:transaction:rollback', async () => {
    const c = await client();
    const tx = await TxController.open(c.connection);
    const sender = await openSender(c.connection, { target: { address: 'queue://tx.twice' } });
    await sendAndSettle(sender, { body: 'm' });
    const staged = await tx.declare();
    expect((await sendInTransaction(sender, staged, { body: 'staged' })).outcome).toBe('accepted');
    const receiver = await openReceiver(c.connection, { source: { address: 'queue://tx.twice' } });
    const got = collect(receiver);
    const m = await receiveOne(receiver, got, 1, 'the message');
    const closed = new Promise<string | undefined>((resolve) => tx.sender.once('sender_error', (ctx) => resolve(ctx.sender?.error?.condition)));
    await settleInTransaction(m.delivery, staged, 'accepted', false);
    // The declare's answer comes after the broker took the disposition (rhea reports only the
    // latest state of a delivery, so two dispositions read at once count as the last one).
    const t2 = await tx.declare();
    await settleInTransaction(m.delivery, t2, 'accepted', false);
    expect(await closed).toBe('amqp:transaction:rollback');
    // Both transactions of that control link rolled back: the staged send is gone, the message still held, unsettled.
    const again = await TxController.open(c.connection);
    expect(refusal(await again.commit(staged).catch((e: unknown) => e)).condition).toBe('amqp:transaction:unknown-id');
    expect(await stats('tx.twice')).toMatchObject({ visible: 0, inFlight: 1 });
    m.delivery.accept();
    await waitFor(async () => (await stats('tx.twice')).inFlight === 0, 10_000, 'the plain accept');
    expect((await stats('tx.twice')).visible).toBe(0);
  });

  it('refuses transactional acquisition (a txn-id in flow properties) by closing that link with amqp:not-implemented', async () => {
    const c = await client();
    const tx = await TxController.open(c.connection);
    const txnId = await tx.declare();
    const receiver = await openReceiver(c.connection, { source: { address: 'queue://tx.acquire' } });
    const closed = new Promise<string | undefined>((resolve) => receiver.once('receiver_error', (ctx) => resolve(ctx.receiver?.error?.condition)));
    requestAcquisition(receiver, txnId);
    receiver.add_credit(1);
    expect(await closed).toBe('amqp:not-implemented');
    await tx.commit(txnId);
  });

  it('a pre-settled transactional send is staged too (no answer) and delivered at commit', async () => {
    const c = await client();
    const tx = await TxController.open(c.connection);
    const sender = await openSender(c.connection, { target: { address: 'queue://tx.presettled' }, snd_settle_mode: 1 } as never);
    const txnId = await tx.declare();
    await sendWithTransferState(sender, transactionalState(txnId), { body: 'at-most-once' });
    await new Promise((resolve) => setImmediate(resolve));
    expect((await stats('tx.presettled')).visible).toBe(0);
    await tx.commit(txnId);
    expect((await stats('tx.presettled')).visible).toBe(1);
  });

  it('ending the AMQP session of the control link rolls back its transactions', async () => {
    const c = await client();
    const ssn = c.connection.create_session();
    ssn.begin();
    const tx = await TxController.open(ssn as never);
    const sender = await openSender(c.connection, { target: { address: 'queue://tx.end' } });
    const txnId = await tx.declare();
    expect((await sendInTransaction(sender, txnId, { body: 'never' })).outcome).toBe('accepted');
    await new Promise<void>((resolve) => {
      ssn.once('session_close', () => resolve());
      ssn.close();
    });
    const r = await sendInTransaction(sender, txnId, { body: 'late' });
    expect(r.error?.condition).toBe('amqp:transaction:unknown-id');
    expect((await stats('tx.end')).visible).toBe(0);
  });

  it('refuses unknown transactions: discharge → amqp:transaction:unknown-id (also a second discharge), transactional send → rejected', async () => {
    const c = await client();
    const tx = await TxController.open(c.connection);
    const unknown = Buffer.from('no-such-txn');
    expect(refusal(await tx.commit(unknown).catch((e: unknown) => e)).condition).toBe('amqp:transaction:unknown-id');
    const txnId = await tx.declare();
    await tx.commit(txnId);
    expect(refusal(await tx.commit(txnId).catch((e: unknown) => e)).condition, 'already discharged').toBe('amqp:transaction:unknown-id');
    expect(refusal(await tx.rollback(txnId).catch((e: unknown) => e)).condition).toBe('amqp:transaction:unknown-id');

    const sender = await openSender(c.connection, { target: { address: 'queue://tx.unknown' } });
    const r = await sendInTransaction(sender, unknown, { body: 'x' });
    expect(r.outcome).toBe('rejected');
    expect(r.error?.condition).toBe('amqp:transaction:unknown-id');
    expect((await stats('tx.unknown')).visible).toBe(0);
    // The connection and the coordinator carry on.
    const t2 = await tx.declare();
    expect((await sendInTransaction(sender, t2, { body: 'y' })).outcome).toBe('accepted');
    await tx.commit(t2);
    expect((await stats('tx.unknown')).visible).toBe(1);
  });

  it('refuses distributed transactions: a declare with a global-id is rejected with amqp:not-implemented', async () => {
    const c = await client();
    const tx = await TxController.open(c.connection, { capabilities: ['amqp:distributed-transactions'] });
    expect(tx.capabilities, 'the coordinator says what it offers').not.toContain('amqp:distributed-transactions');
    const { declareBody } = await import('./rhea-transactions.js');
    const r = await tx.control(amqpValuePayload(declareBody((rhea.types as unknown as { wrap_binary(b: Buffer): unknown }).wrap_binary(Buffer.from('global-1')))));
    expect(r.outcome).toBe('rejected');
    expect(r.error?.condition).toBe('amqp:not-implemented');
    expect((await tx.declare()).length, 'a local declare still works').toBeGreaterThan(0);
  });

  it('closing the connection rolls back its open transactions: staged sends vanish, staged accepts are redelivered', async () => {
    const setup = await client();
    const s0 = await openSender(setup.connection, { target: { address: 'queue://tx.close' } });
    await sendAndSettle(s0, { body: 'held', durable: true });

    const c = await client();
    const tx = await TxController.open(c.connection);
    const sender = await openSender(c.connection, { target: { address: 'queue://tx.close' } });
    const receiver = await openReceiver(c.connection, { source: { address: 'queue://tx.close' } });
    const got = collect(receiver);
    const m = await receiveOne(receiver, got, 1, 'the message');
    const txnId = await tx.declare();
    expect((await sendInTransaction(sender, txnId, { body: 'never' })).outcome).toBe('accepted');
    await settleInTransaction(m.delivery, txnId, 'accepted');
    await waitFor(async () => (await stats('tx.close')).inFlight === 1, 10_000, 'in flight');
    await c.close();
    await waitFor(async () => (await stats('tx.close')).consumers === 0, 10_000, 'the connection gone');

    const d = await client();
    const r2 = await openReceiver(d.connection, { source: { address: 'queue://tx.close' } });
    const got2 = collect(r2);
    r2.add_credit(5);
    await waitFor(() => got2.length === 1, 10_000, 'the redelivery');
    expect(got2[0]!.message.body).toBe('held');
    expect(got2[0]!.message.delivery_count).toBe(1);
    expect(await stats('tx.close')).toMatchObject({ visible: 0, inFlight: 1 });
  });

  it('detaching the control link rolls back the transactions it declared', async () => {
    const c = await client();
    const tx = await TxController.open(c.connection);
    const sender = await openSender(c.connection, { target: { address: 'queue://tx.detach' } });
    const txnId = await tx.declare();
    expect((await sendInTransaction(sender, txnId, { body: 'never' })).outcome).toBe('accepted');
    await new Promise<void>((resolve) => {
      tx.sender.once('sender_close', () => resolve());
      tx.sender.close();
    });
    const r = await sendInTransaction(sender, txnId, { body: 'late' });
    expect(r.error?.condition, 'the transaction is gone').toBe('amqp:transaction:unknown-id');
    const tx2 = await TxController.open(c.connection);
    expect(refusal(await tx2.commit(txnId).catch((e: unknown) => e)).condition).toBe('amqp:transaction:unknown-id');
    expect((await stats('tx.detach')).visible).toBe(0);
  });
});

describe('AMQP 1.0 transactions: session limits', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startTestServer({ protocols: [createAmqp10Protocol({ transactions: { maxOpen: 2, maxOperations: 2 } })] });
  });
  afterAll(async () => {
    await limited?.cleanup();
  });

  it('more staged operations than allowed: that send is rejected (amqp:resource-limit-exceeded) and the commit rolls back (amqp:transaction:rollback)', async () => {
    const c = await client(limited.ports.amqp!);
    const tx = await TxController.open(c.connection);
    const sender = await openSender(c.connection, { target: { address: 'queue://tx.limit' } });
    const txnId = await tx.declare();
    expect((await sendInTransaction(sender, txnId, { body: '1' })).outcome).toBe('accepted');
    expect((await sendInTransaction(sender, txnId, { body: '2' })).outcome).toBe('accepted');
    const third = await sendInTransaction(sender, txnId, { body: '3' });
    expect(third.outcome).toBe('rejected');
    expect(third.broker).toEqual({ kind: 'transactional-state', txnId, outcome: 'rejected' });
    expect(third.error?.condition).toBe('amqp:resource-limit-exceeded');
    expect(third.error?.description).toMatch(/2 staged operations/);
    const err = refusal(await tx.commit(txnId).catch((e: unknown) => e));
    expect(err.condition).toBe('amqp:transaction:rollback');
    expect(err.description).toMatch(/staged operations/);
    expect((await stats('tx.limit', limited)).visible, 'nothing of the transaction committed').toBe(0);
    // The same connection goes on with a new transaction.
    const t2 = await tx.declare();
    expect((await sendInTransaction(sender, t2, { body: 'ok' })).outcome).toBe('accepted');
    await tx.commit(t2);
    expect((await stats('tx.limit', limited)).visible).toBe(1);
  });

  it('more open transactions than allowed: the declare is rejected with amqp:resource-limit-exceeded', async () => {
    const c = await client(limited.ports.amqp!);
    const tx = await TxController.open(c.connection);
    const a = await tx.declare();
    await tx.declare();
    const err = refusal(await tx.declare().catch((e: unknown) => e));
    expect(err.condition).toBe('amqp:resource-limit-exceeded');
    await tx.commit(a);
    expect((await tx.declare()).length, 'room again after a discharge').toBeGreaterThan(0);
  });
});
