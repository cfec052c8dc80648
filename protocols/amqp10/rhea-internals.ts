/**
 * Every use of a rhea internal (not in its typings) lives here, each with the reason.
 * Checked against rhea 3.0.x (lib/container.js, connection.js, link.js, message.js).
 */
import type { Connection, ConnectionOptions, Container, Sender, Session, link as Link } from 'rhea';
import type { RheaSocketLike } from './frame-guard.js';

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
