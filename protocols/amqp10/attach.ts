/**
 * Answering a client's attach: resolve the terminus to a core destination, check the ACL
 * (the client's receiver needs `read`, its sender `write`), set our terminus, and create the
 * link handler. rhea writes our attach right after the event handler returns, so everything
 * that goes into it is decided synchronously; slow work (creating a queue, a durable
 * subscription) happens after, and a failure then detaches the link with an error.
 *
 * A refused attach is answered per AMQP 1.0 §2.6.3: our attach with a null source (their
 * receiver) or null target (their sender), immediately followed by a detach with the error.
 */
import type { AmqpError, Receiver, Sender } from 'rhea';
import { ErrorCodes, isBrokerError } from '../../src/core/errors.js';
import { isPattern, type Address } from '../../src/core/names.js';
import { compileFilterPolicy } from '../../src/core/topic/filter-policy.js';
import { findDurableSubscription } from '../../src/core/session/durable-subscriptions.js';
import { capabilityList, formatAddress, parseAddress } from './address.js';
import { CoordinatorLink } from './coordinator-link.js';
import { AmqpFailure, Condition, toAmqpError } from './errors.js';
import { IncomingLink } from './incoming-link.js';
import type { LinkContext, ReceivingLink } from './link-context.js';
import { OutgoingLink } from './outgoing-link.js';
import { coordinatorRequested, setCoordinatorTarget, setSenderSettleMode } from './rhea-internals.js';
import { COORDINATOR_CAPABILITIES, coordinatorTarget } from './transaction-types.js';
import { streamStart } from './stream-offset.js';

/** Source filter key for an SNS-syntax filter policy (JSON text) on topic receivers. */
export const FILTER_POLICY_KEY = 'x-filter-policy';

interface Terminus {
  address?: string | null;
  durable?: number;
  expiry_policy?: string;
  dynamic?: boolean;
  capabilities?: unknown;
  filter?: Record<string, unknown> | null;
  default_outcome?: unknown;
  outcomes?: unknown;
  distribution_mode?: string;
}

/** rhea hands an absent (or unknown) terminus over as a typed null; a coordinator target is recognised before rhea (rhea-internals.ts). */
function terminus(t: unknown): Terminus | null {
  if (t === null || t === undefined || typeof t !== 'object') return null;
  if ('type' in t && 'value' in t && (t as { value: unknown }).value === null) return null;
  return t as Terminus;
}

function refuse(link: Sender | Receiver, error: AmqpError, ctx: LinkContext): void {
  ctx.logger.info({ link: link.name, condition: error.condition, description: error.description }, 'AMQP 1.0: attach refused');
  link.close(error);
}

/** rhea re-encodes filter values; decoded described values must be handed back as they came. */
function echoFilter(filter: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(filter)) {
    out[k] = typeof v === 'object' && v !== null && 'type' in v && 'value' in v ? { toRheaTyped: () => v } : v;
  }
  return out;
}

function checkExists(ctx: LinkContext, a: Address): void {
  if (ctx.broker.autoCreate) return;
  const exists = a.kind === 'topic'
    ? isPattern(a.name) || ctx.broker.getTopic(a.name) !== undefined
    : ctx.broker.lookup(a.name) === a.kind;
  if (!exists) throw new AmqpFailure(Condition.notFound, `${a.kind} "${a.name}" does not exist`);
}

const FORBIDDEN_PREFIX = `${ErrorCodes.FORBIDDEN.message}: `;

/**
 * The session decides; a refusal (BrokerError FORBIDDEN) becomes `amqp:unauthorized-access`
 * with the description AMQP 1.0 clients have always seen ("user alice may not read queue q").
 */
function authorize(ctx: LinkContext, permission: 'read' | 'write', a: Address): void {
  try {
    ctx.session.authorize(permission, a);
  } catch (err) {
    if (isBrokerError(err) && err.code === 'FORBIDDEN') {
      const detail = err.message.startsWith(FORBIDDEN_PREFIX) ? err.message.slice(FORBIDDEN_PREFIX.length) : err.message;
      throw new AmqpFailure(Condition.unauthorizedAccess, detail);
    }
    throw err;
  }
}

/** The client attached a receiver: we send. */
export function attachOutgoing(sender: Sender, ctx: LinkContext): OutgoingLink | undefined {
  const source = terminus(sender.source);
  const target = terminus(sender.target);
  const presettled = sender.snd_settle_mode === 1;
  setSenderSettleMode(sender, presettled ? 1 : 0);
  sender.set_target({ address: target?.address ?? undefined } as never);
  try {
    if (source?.dynamic) return dynamicQueue(sender, ctx, presettled);
    if (!source || source.address === undefined || source.address === null || source.address === '') {
      return resumeDurable(sender, ctx, presettled);
    }
    const a = parseAddress(source.address, { capabilities: source.capabilities, pattern: true, lookup: (n) => ctx.broker.lookup(n) });
    authorize(ctx, 'read', a);
    checkExists(ctx, a);
    const echo: Record<string, unknown> = {
      address: source.address,
      durable: source.durable ?? 0,
      expiry_policy: source.expiry_policy ?? 'session-end',
      capabilities: source.capabilities ?? null,
      default_outcome: source.default_outcome ?? null,
      outcomes: source.outcomes ?? null,
    };
    const filter = source.filter ?? {};
    const display = formatAddress(a);
    if (a.kind === 'queue') {
      if (isPattern(a.name)) throw new AmqpFailure(Condition.invalidField, 'wildcards are only allowed on topic addresses');
      sender.set_source(echo as never);
      const link = new OutgoingLink(sender, ctx, { address: display, presettled });
      void link.start({ kind: 'queue', name: a.name });
      return link;
    }
    if (a.kind === 'stream') {
      const { start, accepted } = streamStart(filter);
      sender.set_source({ ...echo, ...(accepted ? { filter: echoFilter(accepted) } : {}) } as never);
      const link = new OutgoingLink(sender, ctx, { address: display, presettled });
      void link.start({ kind: 'stream', name: a.name, offset: start });
      return link;
    }
    const policy = filter[FILTER_POLICY_KEY];
    if (policy !== undefined && typeof policy !== 'string') throw new AmqpFailure(Condition.invalidField, `${FILTER_POLICY_KEY} must be a JSON string`);
    const topicEcho = { ...echo, ...(policy !== undefined ? { filter: { [FILTER_POLICY_KEY]: policy } } : {}) };
    const durable = (source.durable ?? 0) > 0 || source.expiry_policy === 'never';
    if (durable) return durableTopic(sender, ctx, presettled, topicEcho, a.name, policy);
    if (policy !== undefined) compileFilterPolicy(policy); // refuse an unusable policy with the attach
    const link = new OutgoingLink(sender, ctx, { address: display, presettled });
    void link.start({ kind: 'topic', pattern: a.name, ...(policy !== undefined ? { filterPolicy: policy } : {}) });
    sender.set_source(topicEcho as never);
    return link;
  } catch (err) {
    refuse(sender, toAmqpError(err), ctx);
    return undefined;
  }
}

/**
 * dynamic: true: a temporary queue of the connection's session for this link (request/reply),
 * deleted when the link detaches or the connection closes.
 */
function dynamicQueue(sender: Sender, ctx: LinkContext, presettled: boolean): OutgoingLink {
  const { name, queue } = ctx.session.reserveTemporaryQueue();
  const address = `queue://${name}`;
  sender.set_source({ address, dynamic: true, expiry_policy: 'link-detach', capabilities: ['temporary-queue'] } as never);
  const link = new OutgoingLink(sender, ctx, {
    address,
    presettled,
    onRelease: () => {
      void ctx.session.tempQueues.delete(name).then(() => ctx.logger.debug({ queue: name }, 'AMQP 1.0: temporary queue deleted'));
    },
  });
  void queue.then(() => link.start({ kind: 'queue', name }), (err: unknown) => link.fail(err));
  return link;
}

/**
 * A durable topic subscription of the session's client id (the container id), named by the link
 * name (JMS durable subscribers over AMQP 1.0, as Qpid JMS and Artemis do them): the session
 * creates or resumes it (also one created by the previous version). A plain detach keeps it;
 * closing the link (detach closed=true) unsubscribes.
 */
function durableTopic(
  sender: Sender, ctx: LinkContext, presettled: boolean, echo: Record<string, unknown>, pattern: string, filterPolicy: string | undefined,
): OutgoingLink {
  sender.set_source({ ...echo, durable: 2, expiry_policy: 'never' } as never);
  const name = sender.name;
  let attached: Promise<void> = Promise.resolve();
  const link = new OutgoingLink(sender, ctx, {
    address: `topic://${pattern}`,
    presettled,
    onRelease: (closed) => {
      if (!closed) return;
      attached
        .then(() => ctx.session.unsubscribeDurable(name))
        .then(
          () => ctx.logger.info({ link: name }, 'AMQP 1.0: durable subscription deleted'),
          (err: unknown) => ctx.logger.error({ err, link: name }, 'AMQP 1.0: deleting a durable subscription failed'),
        );
    },
  });
  attached = link.start({ kind: 'topic', pattern, ...(filterPolicy !== undefined ? { filterPolicy } : {}), durable: { name } });
  return link;
}

/** No source address: a client looking up its durable subscription by link name (Qpid JMS unsubscribe). */
function resumeDurable(sender: Sender, ctx: LinkContext, presettled: boolean): OutgoingLink {
  const found = findDurableSubscription(ctx.broker, { protocol: ctx.session.protocol, clientId: ctx.remoteContainerId, subscriptionName: sender.name });
  const pattern = found?.records[0]?.pattern;
  if (pattern === undefined) throw new AmqpFailure(Condition.notFound, `no source address, and no durable subscription named "${sender.name}" for container "${ctx.remoteContainerId}"`);
  authorize(ctx, 'read', { kind: 'topic', name: pattern });
  const echo = { address: `topic://${pattern}`, capabilities: ['topic'] };
  return durableTopic(sender, ctx, presettled, echo, pattern, undefined);
}

/** The outcome a control link's source must allow for errors to be reported as `rejected`. */
const REJECTED_OUTCOME = 'amqp:rejected:list';

/**
 * A client's sender to the transaction coordinator (AMQP 1.0 part 4): our attach answers with a
 * coordinator target carrying the capabilities we offer (local transactions only; the client
 * checks they meet its needs).
 */
function attachCoordinator(receiver: Receiver, ctx: LinkContext, source: Terminus | null, requested: string[]): CoordinatorLink {
  receiver.set_source({ address: source?.address ?? undefined, outcomes: source?.outcomes ?? undefined } as never);
  setCoordinatorTarget(receiver, coordinatorTarget(COORDINATOR_CAPABILITIES));
  const outcomes = source?.outcomes;
  const canReject = outcomes === undefined || outcomes === null || capabilityList(outcomes).includes(REJECTED_OUTCOME);
  ctx.logger.debug({ link: receiver.name, requested, canReject }, 'AMQP 1.0: transaction coordinator attached');
  const link = new CoordinatorLink(receiver, ctx, canReject);
  link.start();
  return link;
}

/** The client attached a sender: we receive. */
export function attachIncoming(receiver: Receiver, ctx: LinkContext): ReceivingLink | undefined {
  const source = terminus(receiver.source);
  const coordinator = coordinatorRequested(receiver);
  if (coordinator) return attachCoordinator(receiver, ctx, source, coordinator.capabilities);
  const target = terminus(receiver.target);
  receiver.set_source({ address: source?.address ?? undefined } as never);
  try {
    if (!target) {
      throw new AmqpFailure(Condition.notImplemented, 'no usable target: a sender needs a target (with an address, or without one for the anonymous relay, or a transaction coordinator)');
    }
    if (target.dynamic) throw new AmqpFailure(Condition.notImplemented, 'dynamic target nodes are not supported; use a dynamic source');
    const address = target.address;
    if (address === undefined || address === null || address === '') {
      receiver.set_target({ capabilities: capabilityList(target.capabilities) } as never);
      const relay = new IncomingLink(receiver, ctx, undefined);
      relay.start();
      return relay;
    }
    const a = parseAddress(address, { capabilities: target.capabilities, lookup: (n) => ctx.broker.lookup(n) });
    authorize(ctx, 'write', a);
    checkExists(ctx, a);
    receiver.set_target({ address, durable: target.durable ?? 0, capabilities: target.capabilities ?? null } as never);
    const link = new IncomingLink(receiver, ctx, a);
    link.start();
    return link;
  } catch (err) {
    refuse(receiver, toAmqpError(err), ctx);
    return undefined;
  }
}
