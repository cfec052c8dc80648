/**
 * AMQP 1.0 transactions, bad input: malformed declare/discharge bodies are rejected with
 * amqp:decode-error and the control link carries on; a pre-settled control message closes the
 * control link (amqp:not-allowed); a control link whose source does not allow `rejected` is
 * closed with the error instead; a malformed transactional-state on a transfer or disposition,
 * or a malformed coordinator target, closes that connection with amqp:decode-error. A healthy
 * client on the same broker keeps working throughout.
 */
import rhea, { type Connection, type EventContext, type Sender } from 'rhea';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { amqp10Protocol } from '../../../protocols/amqp10/index.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { collect, connect, openReceiver, openSender, sendAndSettle, waitFor, type Client } from './helpers.js';
import {
  amqpValuePayload, describedList, dischargeBody, encodeTyped, sendWithTransferState, settleInTransaction, TX_DESCRIPTOR, TxController,
} from './rhea-transactions.js';

interface Types {
  wrap_string(s: string): unknown;
  wrap_binary(b: Buffer): unknown;
  wrap_uint(n: number): unknown;
  wrap_list(items: unknown[]): unknown;
  described(d: unknown, v: unknown): unknown;
  wrap_ulong(n: number): unknown;
  False(): unknown;
}
const t = rhea.types as unknown as Types;

let server: TestServer;
let healthy: Client;
const clients: Client[] = [];

async function client(): Promise<Client> {
  const c = await connect({ port: server.ports.amqp! });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  server = await startTestServer({ protocols: [amqp10Protocol] });
  healthy = await connect({ port: server.ports.amqp! });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await healthy?.close();
  await server?.cleanup();
});

/** A transaction on the healthy connection, start to finish. */
async function stillHealthy(): Promise<void> {
  const address = `queue://healthy.${Math.random().toString(36).slice(2)}`;
  const tx = await TxController.open(healthy.connection);
  const s = await openSender(healthy.connection, { target: { address } });
  const txnId = await tx.declare();
  const { sendInTransaction } = await import('./rhea-transactions.js');
  expect((await sendInTransaction(s, txnId, { body: 'alive' })).outcome).toBe('accepted');
  await tx.commit(txnId);
  const r = await openReceiver(healthy.connection, { source: { address }, credit_window: 1, autoaccept: true });
  const got = collect(r);
  await waitFor(() => got.length === 1);
  for (const l of [s, r, tx.sender]) l.close();
}

function connectionError(connection: Connection): Promise<{ condition?: string; description?: string }> {
  return new Promise((resolve) => {
    connection.once('connection_error', (ctx: EventContext) => resolve((ctx.connection.error ?? {}) as { condition?: string; description?: string }));
  });
}

function linkClosed(sender: Sender): Promise<{ condition?: string; description?: string }> {
  return new Promise((resolve) => {
    sender.once('sender_error', (ctx: EventContext) => resolve((ctx.sender?.error ?? {}) as { condition?: string; description?: string }));
  });
}

describe('AMQP 1.0 transactions: bad input', () => {
  it('rejects malformed declare and discharge bodies with amqp:decode-error; the control link carries on', async () => {
    const c = await client();
    const tx = await TxController.open(c.connection);
    const bad: Array<[string, Buffer]> = [
      ['an amqp-value that is a string', amqpValuePayload(t.wrap_string('declare'))],
      ['a data section', Buffer.concat([Buffer.from([0x00, 0x53, 0x75]), encodeTyped(t.wrap_binary(Buffer.from([0x00, 0x53, 0x31, 0x45])))])],
      ['two amqp-value sections', Buffer.concat([amqpValuePayload(describedList(TX_DESCRIPTOR.declare, [])), amqpValuePayload(describedList(TX_DESCRIPTOR.declare, []))])],
      ['an unknown described type', amqpValuePayload(describedList(0x99, []))],
      ['a declared outcome sent as a body', amqpValuePayload(describedList(TX_DESCRIPTOR.declared, [t.wrap_binary(Buffer.from('x'))]))],
      ['a declare that is not a list', amqpValuePayload(t.described(t.wrap_ulong(TX_DESCRIPTOR.declare), t.wrap_string('x')))],
      ['a discharge without a txn-id', amqpValuePayload(describedList(TX_DESCRIPTOR.discharge, []))],
      ['a discharge with a string txn-id', amqpValuePayload(describedList(TX_DESCRIPTOR.discharge, [t.wrap_string('abc'), t.False()]))],
      ['a discharge with a numeric fail flag', amqpValuePayload(describedList(TX_DESCRIPTOR.discharge, [t.wrap_binary(Buffer.from('abc')), t.wrap_uint(1)]))],
      ['no body at all', Buffer.from([0x00, 0x53, 0x70, 0x45])],
    ];
    for (const [what, payload] of bad) {
      const r = await tx.control(payload);
      expect(r.outcome, what).toBe('rejected');
      expect(r.error?.condition, what).toBe('amqp:decode-error');
    }
    const txnId = await tx.declare();
    await tx.commit(txnId);
    await stillHealthy();
  });

  it('closes the control link with amqp:not-allowed when a declare is sent pre-settled', async () => {
    const c = await client();
    const tx = await TxController.open(c.connection, { presettled: true });
    const closed = linkClosed(tx.sender);
    await tx.send(amqpValuePayload(describedList(TX_DESCRIPTOR.declare, [])));
    expect((await closed).condition).toBe('amqp:not-allowed');
    const again = await TxController.open(c.connection);
    await again.commit(await again.declare());
    await stillHealthy();
  });

  it('closes a control link whose source does not allow rejected with the error instead of rejecting', async () => {
    const c = await client();
    const tx = await TxController.open(c.connection, { outcomes: ['amqp:accepted:list'] });
    const closed = linkClosed(tx.sender);
    await tx.send(amqpValuePayload(dischargeBody(Buffer.from('unknown'), false)));
    expect((await closed).condition).toBe('amqp:transaction:unknown-id');
    await stillHealthy();
  });

  it('closes the connection with amqp:decode-error on a transfer whose transactional-state has no binary txn-id', async () => {
    const c = await client();
    const sender = await openSender(c.connection, { target: { address: 'queue://tx.bad.transfer' } });
    const failed = connectionError(c.connection);
    await sendWithTransferState(sender, describedList(TX_DESCRIPTOR.transactionalState, [t.wrap_string('not-binary')]), { body: 'x' });
    expect((await failed).condition).toBe('amqp:decode-error');
    await stillHealthy();
  });

  it('closes the connection with amqp:decode-error on a disposition whose transactional-state carries a non-outcome', async () => {
    const setup = await client();
    const s = await openSender(setup.connection, { target: { address: 'queue://tx.bad.disposition' } });
    await sendAndSettle(s, { body: 'm', durable: true });
    const c = await client();
    const receiver = await openReceiver(c.connection, { source: { address: 'queue://tx.bad.disposition' } });
    const got = collect(receiver);
    receiver.add_credit(1);
    await waitFor(() => got.length === 1, 10_000, 'the message');
    const failed = connectionError(c.connection);
    got[0]!.delivery.update(true, describedList(TX_DESCRIPTOR.transactionalState, [t.wrap_binary(Buffer.from('t')), describedList(TX_DESCRIPTOR.declared, [])]) as never);
    expect((await failed).condition).toBe('amqp:decode-error');
    // The delivery went back to the queue with the connection.
    const d = await client();
    const r2 = await openReceiver(d.connection, { source: { address: 'queue://tx.bad.disposition' } });
    const got2 = collect(r2);
    r2.add_credit(1);
    await waitFor(() => got2.length === 1, 10_000, 'the redelivery');
    expect(got2[0]!.message.delivery_count).toBe(1);
    await stillHealthy();
  });

  it('closes the link of an outcome in an unknown transaction with amqp:transaction:unknown-id; the message goes back', async () => {
    const setup = await client();
    const s = await openSender(setup.connection, { target: { address: 'queue://tx.bad.unknown' } });
    await sendAndSettle(s, { body: 'm' });
    const c = await client();
    const receiver = await openReceiver(c.connection, { source: { address: 'queue://tx.bad.unknown' } });
    const got = collect(receiver);
    receiver.add_credit(1);
    await waitFor(() => got.length === 1, 10_000, 'the message');
    const closed = new Promise<{ condition?: string }>((resolve) => receiver.once('receiver_error', (ctx: EventContext) => resolve((ctx.receiver?.error ?? {}) as { condition?: string })));
    await settleInTransaction(got[0]!.delivery, Buffer.from('no-such-txn'));
    expect((await closed).condition).toBe('amqp:transaction:unknown-id');
    const r2 = await openReceiver(c.connection, { source: { address: 'queue://tx.bad.unknown' } });
    const got2 = collect(r2);
    r2.add_credit(1);
    await waitFor(() => got2.length === 1, 10_000, 'the message again');
    await stillHealthy();
  });

  it('closes the connection with amqp:decode-error on a coordinator target whose capabilities are not symbols', async () => {
    const c = await client();
    const failed = connectionError(c.connection);
    void TxController.open(c.connection, { rawCapabilities: t.wrap_list([t.wrap_uint(7)]) }).catch(() => undefined);
    expect((await failed).condition).toBe('amqp:decode-error');
    await stillHealthy();
  });
});
