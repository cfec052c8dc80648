/**
 * Every use of a rhea internal (not in its typings) lives here, each with the reason.
 * Checked against rhea 3.0.x (lib/container.js, connection.js, link.js, message.js).
 */
import type { Connection, ConnectionOptions, Container, Delivery, Receiver, Sender, Session, link as Link } from 'rhea';
import type { RheaSocketLike } from './frame-guard.js';
import {
  decodeCoordinator, decodeTransactionalState, descriptorCode, isTransactionalState, TxDescriptor, type RheaTyped, type TransactionalState,
} from './transaction-types.js';

interface ConnectionInternals {
  accept(socket: RheaSocketLike): Connection;
}

/**
 * Serve an already-connected byte stream. rhea's own `container.listen` does exactly this for
 * each socket its server accepts (`new Connection(options, container).accept(socket)`), and
 * `container.websocket_accept` does it for a wrapped WebSocket; `accept` itself is not in the
 * typings. The server's TcpListener owns the socket here, so we make the same call.
 */
export function acceptConnection(container: Container, options: ConnectionOptions, socket: RheaSocketLike): Connection {
  const connection = container.create_connection(options);
  return (connection as unknown as ConnectionInternals).accept(socket);
}

interface LinkInternals {
  credit: number;
  delivery_count: number;
  remote: { attach?: { handle?: number }; detach?: { closed?: boolean } };
  local: { attach: { snd_settle_mode?: number; max_message_size?: number } };
}

function internals(l: Link): LinkInternals {
  return l as unknown as LinkInternals;
}

/** A sending link's flow state: credit left after the transfers rhea has written, and its delivery-count. */
export function senderFlowState(sender: Sender): { credit: number; deliveryCount: number } {
  const i = internals(sender);
  return { credit: i.credit, deliveryCount: i.delivery_count };
}

/** Did the peer's detach say `closed: true` (terminus destroyed) rather than a plain detach? */
export function remoteDetachClosed(l: Link): boolean {
  return internals(l).remote.detach?.closed === true;
}

/**
 * The settle mode a sending link actually uses is announced in our attach; rhea pre-settles
 * every transfer when its local snd-settle-mode is `settled` (1), and the field is set only from
 * link options, which are fixed per connection for peer-initiated links.
 */
export function setSenderSettleMode(sender: Sender, mode: 0 | 1 | 2): void {
  internals(sender).local.attach.snd_settle_mode = mode;
}

/** rhea's decoded body sections (data / amqp-sequence) are Section objects with a typecode. */
export interface RheaSection {
  typecode: number;
  content: unknown;
  multiple?: boolean;
}

export function isSection(body: unknown): body is RheaSection {
  return typeof body === 'object' && body !== null && typeof (body as RheaSection).typecode === 'number' && 'content' in body;
}

/**
 * A body for `message.encode` that encodes to nothing: rhea calls `collect_sections` on Section
 * bodies; this one adds none, so the caller can append exact pre-encoded body sections.
 */
export const NO_BODY = Object.freeze({ collect_sections(): void { /* no sections */ } });

interface AttachFrame {
  performative: { name: string; role: boolean };
}

interface SessionInternals {
  links: Record<string, Link>;
  local: { handles: Record<number, Link> };
  on_attach(frame: AttachFrame): void;
}

/**
 * AMQP 1.0 link names are unique per direction, so a client may attach a sender and a receiver
 * with the same name (Qpid Proton names links `<container>-<address>`, so sending to and
 * receiving from one address on one session does exactly that). rhea keys a session's links by
 * name only and would treat the second attach as a repeated first one ("Attach already
 * received"). For this session, a link whose name is held by a link of the other direction is
 * kept under a second key (rhea iterates `links` to write frames) with its own `remove`.
 */
export function allowSameNameLinks(session: Session): void {
  const s = session as unknown as SessionInternals;
  const original = s.on_attach;
  s.on_attach = function (this: SessionInternals, frame: AttachFrame): void {
    const name = frame.performative.name;
    const weSend = Boolean(frame.performative.role); // the peer's role is receiver: our link is a sender
    const holder = this.links[name];
    if (!holder || holder.is_sender() === weSend) {
      original.call(this, frame);
      return;
    }
    const alias = `${name}\u0000${weSend ? 'sender' : 'receiver'}`;
    const previous = this.links[alias];
    if (previous) this.links[name] = previous;
    else delete this.links[name];
    try {
      original.call(this, frame);
    } finally {
      const created = this.links[name];
      this.links[name] = holder;
      if (created && created !== holder) {
        this.links[alias] = created;
        const self = this;
        created.remove = function (): void {
          if (self.links[alias] === created) delete self.links[alias];
          const handle = (created as unknown as { local: { handle: number } }).local.handle;
          if (self.local.handles[handle] === created) delete self.local.handles[handle];
        };
      }
    }
  };
}

// ------------------------------------------------------------------ transactions (AMQP 1.0 part 4)
//
// rhea has no transaction support: it drops a coordinator target it does not know (and logs a
// warning), decodes the state of a transfer without its descriptor, and does not recognise a
// transactional-state in a disposition (it would log an error and report no outcome). The hooks
// below, installed per session like allowSameNameLinks, read those values from the frames before
// rhea does and keep what they found where the link handlers can ask for it.

const COORDINATOR = Symbol('coordinator target');
const TRANSFER_STATE = Symbol('transactional-state of the delivery in progress');
const DISPOSITION_TXN = Symbol('transaction of the last disposition');
const HOOKED = Symbol('transaction hooks installed');
const ACQUISITION = Symbol('flow asked for transactional acquisition');

interface Performative {
  value: unknown[];
}

interface AttachPerformative extends Performative {
  target: unknown;
  [COORDINATOR]?: { capabilities: string[] };
}

interface TransferPerformative extends Performative {
  handle: number;
}

interface DispositionPerformative extends Performative {
  role: boolean;
  first: number;
  last?: number;
}

interface TrackedLink {
  _incomplete?: unknown;
  [TRANSFER_STATE]?: TransactionalState;
  [ACQUISITION]?: true;
}

interface FlowPerformative extends Performative {
  handle?: number | null;
  properties?: Record<string, unknown> | null;
}

interface TrackedDelivery {
  remote_settled: boolean;
  remote_state?: unknown;
  [DISPOSITION_TXN]?: { txnId: Buffer; state: unknown };
}

interface TransactionSessionInternals {
  [HOOKED]?: true;
  remote: { handles: Record<number, TrackedLink | undefined> };
  outgoing: { deliveries: { by_id(id: number): TrackedDelivery | undefined } };
  on_attach(frame: { performative: AttachPerformative }): void;
  on_transfer(frame: { performative: TransferPerformative }): void;
  on_disposition(frame: { performative: DispositionPerformative }): void;
  on_flow(frame: { performative: FlowPerformative }): void;
}

/** Index of `state` in the transfer performative's fields, and in the disposition's. */
const TRANSFER_STATE_FIELD = 7;
const DISPOSITION_STATE_FIELD = 4;

/**
 * For this session: recognise coordinator targets on attach, transactional-state on transfers,
 * transactional-state on the client's dispositions of our deliveries (rewritten to the outcome
 * it carries, so rhea reports that outcome; the delivery remembers the transaction), and flows
 * asking for transactional acquisition (a txn-id in the flow's properties). A malformed
 * transactional value throws TransactionDecodeError, which rhea reports as a connection error
 * (closed with amqp:decode-error).
 */
export function recognizeTransactions(session: Session): void {
  const s = session as unknown as TransactionSessionInternals;
  if (s[HOOKED]) return;
  s[HOOKED] = true;

  const onAttach = s.on_attach;
  s.on_attach = function (this: TransactionSessionInternals, frame): void {
    const p = frame.performative;
    if (descriptorCode(p.target) === TxDescriptor.coordinator) {
      p[COORDINATOR] = { capabilities: decodeCoordinator(p.target as RheaTyped) };
      p.target = null; // rhea would warn "Unknown terminus" and drop it anyway
    }
    onAttach.call(this, frame);
  };

  const onTransfer = s.on_transfer;
  s.on_transfer = function (this: TransactionSessionInternals, frame): void {
    const p = frame.performative;
    const link = this.remote.handles[p.handle];
    if (link) {
      const starting = link._incomplete === undefined;
      const state = p.value[TRANSFER_STATE_FIELD];
      if (isTransactionalState(state)) {
        if (starting || link[TRANSFER_STATE] === undefined) link[TRANSFER_STATE] = decodeTransactionalState(state);
      } else if (starting && link[TRANSFER_STATE] !== undefined) {
        link[TRANSFER_STATE] = undefined;
      }
    }
    onTransfer.call(this, frame);
  };

  const onDisposition = s.on_disposition;
  s.on_disposition = function (this: TransactionSessionInternals, frame): void {
    const p = frame.performative;
    const state = p.value[DISPOSITION_STATE_FIELD];
    if (!p.role || !isTransactionalState(state)) {
      onDisposition.call(this, frame);
      return;
    }
    const tx = decodeTransactionalState(state);
    p.value[DISPOSITION_STATE_FIELD] = tx.outcome ?? null;
    // The deliveries rhea will update (it skips those the client settled before).
    const touched: TrackedDelivery[] = [];
    const last = p.last ?? p.first;
    for (let id = p.first; id <= last; id++) {
      const d = this.outgoing.deliveries.by_id(id);
      if (d && !d.remote_settled) touched.push(d);
    }
    onDisposition.call(this, frame);
    for (const d of touched) d[DISPOSITION_TXN] = { txnId: tx.txnId, state: d.remote_state };
  };

  const onFlow = s.on_flow;
  s.on_flow = function (this: TransactionSessionInternals, frame): void {
    const p = frame.performative;
    if (p.handle !== undefined && p.handle !== null) {
      const props = p.properties;
      const link = this.remote.handles[p.handle];
      if (link && props && typeof props === 'object' && 'txn-id' in props) link[ACQUISITION] = true;
    }
    onFlow.call(this, frame);
  };
}

/** Did a flow on this link carry a txn-id property (transactional acquisition, AMQP 1.0 part 4)? */
export function flowRequestsAcquisition(l: Link): boolean {
  return (l as unknown as TrackedLink)[ACQUISITION] === true;
}

/** The coordinator a client's sender attached to (its requested capabilities), or undefined. */
export function coordinatorRequested(l: Link): { capabilities: string[] } | undefined {
  const attach = (l as unknown as { remote: { attach?: AttachPerformative } }).remote.attach;
  return attach?.[COORDINATOR];
}

/** Our attach answers with a coordinator target (rhea's set_target only writes a plain target). */
export function setCoordinatorTarget(receiver: Receiver, target: unknown): void {
  (receiver as unknown as { local: { attach: { target: unknown } } }).local.attach.target = target;
}

/** The transactional-state of the delivery rhea is dispatching now on `receiver`, if it had one. */
export function transferTransaction(receiver: Receiver): TransactionalState | undefined {
  return (receiver as unknown as TrackedLink)[TRANSFER_STATE];
}

/**
 * The transaction of the client's latest disposition of `delivery`, when that disposition was
 * transactional (a later non-transactional outcome replaces rhea's remote_state, which ends it).
 */
export function dispositionTransaction(delivery: Delivery): Buffer | undefined {
  const d = delivery as unknown as TrackedDelivery;
  const mark = d[DISPOSITION_TXN];
  return mark !== undefined && mark.state === d.remote_state ? mark.txnId : undefined;
}

/**
 * Answer a received delivery with `state` (a typed value rhea writes as is), settling it as
 * rhea's own accept()/reject() do: update(undefined, …) settles unless our receiver settle mode
 * is `second`. The typings only allow a boolean.
 */
export function answerDelivery(delivery: Delivery, state: unknown): void {
  (delivery as unknown as { update(settled: boolean | undefined, state: unknown): void }).update(undefined, state);
}
