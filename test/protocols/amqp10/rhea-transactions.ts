/**
 * The client (transaction controller) side of AMQP 1.0 local transactions on a real rhea
 * connection. rhea's client API has no transactions, so the frames are built with rhea's own
 * types and written by rhea itself:
 * - the coordinator target of the control link's attach is a described list put in place of
 *   the plain target rhea builds (before rhea writes the attach, on its next tick);
 * - declare / discharge bodies are encoded with rhea's type writer, behind an amqp-value section
 *   header (rhea's message encoder would replace a described body's descriptor with its own);
 * - a transactional transfer is an ordinary `sender.send`, whose transfer frame gets a
 *   transactional-state as it is written (a hook on the client session's `output`);
 * - a transactional outcome is `delivery.update(settled, transactional-state)`.
 * In the other direction, hooks on the client session record what the broker answered
 * (`declared`, `transactional-state` with an outcome, a coordinator target) before rhea's own
 * handling, which does not know these types, and hand rhea the plain outcome a
 * transactional-state carries (so `accepted` / `rejected` events fire as usual).
 */
import rhea, { type Connection, type Delivery, type EventContext, type Message, type Receiver, type Sender, type Session } from 'rhea';

interface Typed {
  type?: { name: string };
  value: unknown;
  descriptor?: { value: unknown };
}

interface RheaTypes {
  described(descriptor: unknown, value: unknown): Typed;
  wrap_ulong(n: number): Typed;
  wrap_list(items: unknown[]): Typed;
  wrap_binary(b: Buffer): Typed;
  wrap_string(s: string): Typed;
  wrap_array(items: unknown[], code: number): Typed;
  wrap_map(m: Record<string, unknown>, key: (k: string) => Typed): Typed;
  wrap_symbol(s: string): Typed;
  True(): Typed;
  False(): Typed;
  Writer: new () => { write(v: unknown): void; toBuffer(): Buffer };
}
const types = rhea.types as unknown as RheaTypes;
const outcomes = rhea.message as unknown as Record<'accepted' | 'released' | 'rejected' | 'modified', (fields?: unknown) => { described(): Typed }>;

export const TX_DESCRIPTOR = { coordinator: 0x30, declare: 0x31, discharge: 0x32, declared: 0x33, transactionalState: 0x34 } as const;
const OUTCOME_NAMES: Record<number, string> = { 0x24: 'accepted', 0x25: 'rejected', 0x26: 'released', 0x27: 'modified' };

export function describedList(code: number, fields: unknown[]): Typed {
  return types.described(types.wrap_ulong(code), types.wrap_list(fields));
}

export function encodeTyped(v: unknown): Buffer {
  const w = new types.Writer();
  w.write(v);
  return w.toBuffer();
}

/** A message payload whose body is one amqp-value section holding `value` (a described declare or discharge). */
export function amqpValuePayload(value: unknown): Buffer {
  return Buffer.concat([Buffer.from([0x00, 0x53, 0x77]), encodeTyped(value)]);
}

export const declareBody = (globalId?: unknown): Typed => describedList(TX_DESCRIPTOR.declare, globalId === undefined ? [] : [globalId]);
export const dischargeBody = (txnId: Buffer, fail: boolean): Typed => describedList(TX_DESCRIPTOR.discharge, [types.wrap_binary(txnId), fail ? types.True() : types.False()]);

export type OutcomeName = 'accepted' | 'released' | 'rejected' | 'modified';

/** transactional-state(txn-id, outcome) as rhea's typed value. */
export function transactionalState(txnId: Buffer, outcome?: OutcomeName, fields?: unknown): Typed {
  const items: unknown[] = [types.wrap_binary(txnId)];
  if (outcome !== undefined) items.push(outcomes[outcome](fields).described());
  return describedList(TX_DESCRIPTOR.transactionalState, items);
}

/** What the broker answered a delivery with, when rhea could not have told (declared, transactional-state). */
export interface BrokerState {
  kind: 'declared' | 'transactional-state';
  txnId: Buffer;
  /** transactional-state: the outcome it carried. */
  outcome?: string;
}

const BROKER_STATE = Symbol('broker state');
const COORDINATOR = Symbol('coordinator target');
const HOOKED = Symbol('client transaction hooks');
const TRANSFER_STATES = Symbol('transactional transfers to write');
const FLOW_PROPERTIES = Symbol('flow properties to write, by link handle');

interface ClientSession {
  [HOOKED]?: true;
  [TRANSFER_STATES]: Map<number, Typed>;
  [FLOW_PROPERTIES]: Map<number, Typed>;
  outgoing: { deliveries: { by_id(id: number): (Delivery & { [BROKER_STATE]?: BrokerState }) | undefined } };
  on_attach(frame: { performative: { target: unknown; value: unknown[]; [COORDINATOR]?: string[] } }): void;
  on_disposition(frame: { performative: { role: boolean; first: number; last?: number; value: unknown[] } }): void;
  output(frame: unknown, payload?: unknown): void;
}

function code(v: unknown): number | undefined {
  const d = (v as Typed | null | undefined)?.descriptor?.value;
  return typeof d === 'number' ? d : undefined;
}

function fields(v: unknown): Typed[] {
  const value = (v as Typed).value;
  return Array.isArray(value) ? (value as Typed[]) : [];
}

function symbols(v: Typed | undefined): string[] {
  if (!v || v.value === null || v.value === undefined) return [];
  if (Array.isArray(v.value)) return v.value.map((x: unknown) => String((x as Typed).value ?? x));
  return [String(v.value)];
}

/** Install the client-side hooks on `session` (idempotent). */
export function hookSession(session: Session): void {
  const s = session as unknown as ClientSession;
  if (s[HOOKED]) return;
  s[HOOKED] = true;
  s[TRANSFER_STATES] = new Map();
  s[FLOW_PROPERTIES] = new Map();
  const onAttach = s.on_attach;
  s.on_attach = function (this: ClientSession, frame): void {
    const p = frame.performative;
    if (code(p.target) === TX_DESCRIPTOR.coordinator) {
      p[COORDINATOR] = symbols(fields(p.target)[0]);
      p.target = null;
    }
    onAttach.call(this, frame);
  };
  const onDisposition = s.on_disposition;
  s.on_disposition = function (this: ClientSession, frame): void {
    const p = frame.performative;
    const state = p.value[4];
    const c = code(state);
    if (p.role && (c === TX_DESCRIPTOR.declared || c === TX_DESCRIPTOR.transactionalState)) {
      const [txnId, outcome] = fields(state);
      const recorded: BrokerState = { kind: c === TX_DESCRIPTOR.declared ? 'declared' : 'transactional-state', txnId: txnId!.value as Buffer };
      if (c === TX_DESCRIPTOR.transactionalState && outcome && code(outcome) !== undefined) recorded.outcome = OUTCOME_NAMES[code(outcome)!] ?? `0x${code(outcome)!.toString(16)}`;
      for (let id = p.first; id <= (p.last ?? p.first); id++) {
        const d = this.outgoing.deliveries.by_id(id);
        if (d) d[BROKER_STATE] = recorded;
      }
      p.value[4] = c === TX_DESCRIPTOR.transactionalState && outcome && code(outcome) !== undefined ? outcome : null;
    }
    onDisposition.call(this, frame);
  };
  const output = s.output;
  s.output = function (this: ClientSession, frame: unknown, payload?: unknown): void {
    const f = frame as { constructor: { descriptor?: { numeric: number } }; delivery_id?: number; handle?: number; more?: boolean; value: unknown[] };
    const properties = f.constructor?.descriptor?.numeric === 0x13 && f.handle !== undefined ? this[FLOW_PROPERTIES].get(f.handle) : undefined;
    if (properties) f.value[10] = properties;
    if (f.constructor?.descriptor?.numeric === 0x14 && f.delivery_id !== undefined) {
      const state = this[TRANSFER_STATES].get(f.delivery_id);
      if (state) {
        f.value[7] = state;
        if (!f.more) this[TRANSFER_STATES].delete(f.delivery_id);
      }
    }
    output.call(this, frame, payload);
  };
}

export function brokerState(delivery: Delivery): BrokerState | undefined {
  return (delivery as Delivery & { [BROKER_STATE]?: BrokerState })[BROKER_STATE];
}

export interface Settlement {
  /** rhea's outcome event, or 'settled' when the broker settled with a state rhea does not know (declared). */
  outcome: 'accepted' | 'rejected' | 'released' | 'modified' | 'settled';
  delivery: Delivery;
  broker: BrokerState | undefined;
  error: { condition?: string; description?: string } | undefined;
}

/** Resolves with the broker's answer to `delivery` (the first outcome or settlement). */
export function settlement(sender: Sender, delivery: Delivery, timeoutMs = 10_000): Promise<Settlement> {
  return new Promise((resolve, reject) => {
    const events = ['accepted', 'rejected', 'released', 'modified', 'settled'] as const;
    const timer = setTimeout(() => {
      off();
      reject(new Error('no answer from the broker'));
    }, timeoutMs);
    const listeners = events.map((event) => (ctx: EventContext): void => {
      if (ctx.delivery !== delivery) return;
      off();
      const state = delivery.remote_state as { error?: { condition?: string; description?: string } } | undefined;
      resolve({ outcome: event, delivery, broker: brokerState(delivery), error: event === 'rejected' ? state?.error : undefined });
    });
    const off = (): void => {
      clearTimeout(timer);
      events.forEach((e, i) => sender.removeListener(e, listeners[i]!));
    };
    events.forEach((e, i) => sender.on(e, listeners[i]!));
  });
}

function whenSendable(sender: Sender): Promise<void> {
  return new Promise((resolve) => {
    const go = (): void => {
      if (sender.sendable()) resolve();
      else sender.once('sendable', go);
    };
    go();
  });
}

/** Send `message` with `state` (a typed value) as the state of its transfer frames; resolves with the delivery. */
export async function sendWithTransferState(sender: Sender, state: unknown, message: Partial<Message>): Promise<Delivery> {
  hookSession(sender.session);
  await whenSendable(sender);
  const d = sender.send(message as Message);
  (sender.session as unknown as ClientSession)[TRANSFER_STATES].set(d.id, state as Typed);
  return d;
}

/** Send `message` with a transactional-state on its transfer; resolves with the broker's answer. */
export async function sendInTransaction(sender: Sender, txnId: Buffer, message: Partial<Message>): Promise<Settlement> {
  const d = await sendWithTransferState(sender, transactionalState(txnId), message);
  return settlement(sender, d);
}

/** From now on, the receiver's flow frames carry `properties: { txn-id }` (transactional acquisition). */
export function requestAcquisition(receiver: Receiver, txnId: Buffer): void {
  hookSession(receiver.session);
  const handle = (receiver as unknown as { local: { handle: number } }).local.handle;
  (receiver.session as unknown as ClientSession)[FLOW_PROPERTIES].set(handle, types.wrap_map({ 'txn-id': types.wrap_binary(txnId) }, types.wrap_symbol));
}

/**
 * Give a received delivery an outcome in a transaction (settled by default, as Qpid JMS does).
 * Resolves once rhea has written the disposition: in one tick rhea writes a session's transfers
 * before its dispositions, so a discharge sent in the same tick would overtake it.
 */
export async function settleInTransaction(delivery: Delivery, txnId: Buffer, outcome: OutcomeName = 'accepted', settled = true, fields?: unknown): Promise<void> {
  delivery.update(settled, transactionalState(txnId, outcome, fields) as never);
  await new Promise((resolve) => setImmediate(resolve));
}

/** A rejected control message: the broker's error condition. */
export class TransactionRefused extends Error {
  constructor(readonly condition: string | undefined, readonly description: string | undefined) {
    super(`refused: ${condition ?? '?'}: ${description ?? ''}`);
  }
}

export interface ControllerOptions {
  name?: string;
  /** Desired coordinator capabilities (default: local transactions). */
  capabilities?: string[];
  /** Outcomes the control link's source supports (default: unset, i.e. all). */
  outcomes?: string[];
  /** Send control messages pre-settled (which the spec forbids). */
  presettled?: boolean;
  /** The coordinator target's capabilities field as a raw typed value (bad-input tests). */
  rawCapabilities?: unknown;
}

/** The control link: a sender to the broker's transaction coordinator. */
export class TxController {
  private constructor(readonly sender: Sender, readonly capabilities: string[]) {}

  static open(connection: Connection, opts: ControllerOptions = {}): Promise<TxController> {
    const sender = connection.open_sender({
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      ...(opts.outcomes !== undefined ? { source: { outcomes: opts.outcomes } } : {}),
      ...(opts.presettled ? { snd_settle_mode: 1 } : {}),
    } as never);
    hookSession(sender.session);
    (sender as unknown as { local: { attach: { target: unknown } } }).local.attach.target = describedList(TX_DESCRIPTOR.coordinator, [
      opts.rawCapabilities ?? types.wrap_array(opts.capabilities ?? ['amqp:local-transactions'], 0xa3),
    ]);
    return new Promise((resolve, reject) => {
      sender.once('sender_error', (ctx: EventContext) => reject(Object.assign(new Error('coordinator refused'), { error: ctx.sender?.error })));
      sender.once('sender_open', () => {
        const caps = (sender as unknown as { remote: { attach?: { [COORDINATOR]?: string[] } } }).remote.attach?.[COORDINATOR];
        if (caps) resolve(new TxController(sender, caps));
      });
    });
  }

  /** Send one control message (an encoded payload) and resolve with the broker's answer. */
  async control(payload: Buffer): Promise<Settlement> {
    return settlement(this.sender, await this.send(payload));
  }

  /** Send one control message (an encoded payload); the delivery. */
  async send(payload: Buffer): Promise<Delivery> {
    await whenSendable(this.sender);
    return this.sender.send(payload as never, undefined, 0);
  }

  async declare(): Promise<Buffer> {
    const s = await this.control(amqpValuePayload(declareBody()));
    if (s.broker?.kind === 'declared') return s.broker.txnId;
    throw new TransactionRefused(s.error?.condition, s.error?.description ?? `declare answered ${s.outcome}`);
  }

  async discharge(txnId: Buffer, fail: boolean): Promise<void> {
    const s = await this.control(amqpValuePayload(dischargeBody(txnId, fail)));
    if (s.outcome === 'accepted') return;
    throw new TransactionRefused(s.error?.condition, s.error?.description ?? `discharge answered ${s.outcome}`);
  }

  commit(txnId: Buffer): Promise<void> {
    return this.discharge(txnId, false);
  }

  rollback(txnId: Buffer): Promise<void> {
    return this.discharge(txnId, true);
  }
}
