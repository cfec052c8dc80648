/**
 * STOMP 1.2 over WebSocket (subprotocol v12.stomp on the shared WebSocket port) with
 * @stomp/stompjs, the browser/Node client. stompjs has no receipt option on BEGIN, COMMIT and
 * ABORT, so those are followed by a barrier: a SUBSCRIBE with a receipt to a private temporary
 * queue (the broker answers a receipt only once every earlier frame completed), then UNSUBSCRIBE.
 */
import { Client, type IFrame, type IMessage, type StompHeaders } from '@stomp/stompjs';
import { WebSocket } from 'ws';
import type { TestServer } from '../../support/test-server.js';
import {
  CollectingSubscription, RefusedError, toBuffer,
  type Connection, type ConnectOptions, type Destination, type Driver, type ReceivedMessage, type SendOptions, type SubscribeOptions, type Subscription, type Transaction,
} from '../driver.js';
import { STOMP_CAPABILITIES, STOMP_NOTES, stompAddress, stompReceived, stompSendHeaders } from './stomp-headers.js';

const NAME = 'stomp (@stomp/stompjs, ws)';

function refusal(frame: IFrame): RefusedError {
  const code = /code: (\S+)/.exec(frame.body)?.[1];
  return new RefusedError(NAME, code ? `ERROR ${code}` : 'ERROR', frame.headers.message ?? 'ERROR frame');
}

class StompJsConnection implements Connection {
  closed = false;
  private error: RefusedError | undefined;
  private nextId = 1;
  private readonly pending = new Set<(e: Error) => void>();
  private readonly subscriptions: CollectingSubscription[] = [];

  constructor(readonly driver: Driver, private readonly client: Client) {
    client.onStompError = (frame) => this.fail(refusal(frame));
    client.onWebSocketClose = () => {
      this.closed = true;
      this.fail(new RefusedError(NAME, 'closed', 'the WebSocket closed'));
    };
  }

  private fail(err: RefusedError): void {
    this.error ??= err;
    for (const reject of this.pending) reject(this.error);
    this.pending.clear();
    for (const s of this.subscriptions) s.fail(this.error);
  }

  /** Run `write` with a fresh receipt id; resolves on its RECEIPT, rejects on ERROR or close. */
  private withReceipt(write: (receipt: string) => void): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      const receipt = `r-${this.nextId++}`;
      this.pending.add(reject);
      this.client.watchForReceipt(receipt, () => {
        this.pending.delete(reject);
        resolve();
      });
      write(receipt);
    });
  }

  private async barrier(): Promise<void> {
    const destination = `/temp-queue/barrier-${this.nextId++}`;
    let sub: { unsubscribe(): void } | undefined;
    await this.withReceipt((receipt) => {
      sub = this.client.subscribe(destination, () => undefined, { receipt });
    });
    sub?.unsubscribe();
  }

  send(dest: Destination, body: Buffer | string, opts: SendOptions = {}): Promise<void> {
    return this.sendIn(dest, body, opts);
  }

  private sendIn(dest: Destination, body: Buffer | string, opts: SendOptions, transaction?: string): Promise<void> {
    const bytes = toBuffer(body);
    const headers: StompHeaders = { ...stompSendHeaders(opts, bytes.length), ...(transaction ? { transaction } : {}) };
    delete headers['content-length']; // stompjs writes it for binary bodies
    return this.withReceipt((receipt) => this.client.publish({ destination: stompAddress(dest), headers: { ...headers, receipt }, binaryBody: new Uint8Array(bytes) }));
  }

  async subscribe(dest: Destination, opts: SubscribeOptions = {}): Promise<Subscription> {
    const destination = stompAddress(dest);
    const headers: StompHeaders = { ack: opts.ack === 'client' ? 'client-individual' : 'auto' };
    if (opts.prefetch !== undefined) headers['activemq.prefetchSize'] = String(opts.prefetch);
    if (opts.durableName !== undefined) headers['activemq.subscriptionName'] = opts.durableName;
    const sub = new CollectingSubscription(`${NAME} ${destination}`);
    this.subscriptions.push(sub);
    await this.withReceipt((receipt) => {
      this.client.subscribe(destination, (m: IMessage) => sub.push(stompReceived({ ...m.headers }, Buffer.from(m.binaryBody), m)), { ...headers, receipt });
    });
    return sub;
  }

  ack(msg: ReceivedMessage, transaction?: string): Promise<void> {
    return this.withReceipt((receipt) => (msg.raw as IMessage).ack({ receipt, ...(transaction ? { transaction } : {}) }));
  }

  async tempReplyQueue(): Promise<{ replyTo: string; subscription: Subscription }> {
    const replyTo = `/temp-queue/replies-${this.nextId++}`;
    return { replyTo, subscription: await this.subscribe({ kind: 'address', address: replyTo }) };
  }

  async begin(): Promise<Transaction> {
    const tx = this.client.begin(`tx-${this.nextId++}`);
    await this.barrier();
    return {
      send: (dest, body, opts = {}) => this.sendIn(dest, body, opts, tx.id),
      ack: (msg) => this.ack(msg, tx.id),
      commit: async () => {
        tx.commit();
        await this.barrier();
      },
      abort: async () => {
        tx.abort();
        await this.barrier();
      },
    };
  }

  async disconnect(): Promise<void> {
    if (this.closed) return;
    await Promise.race([this.client.deactivate(), new Promise((r) => setTimeout(r, 3000).unref())]);
    this.closed = true;
  }
}

export const stompJsDriver: Driver = {
  name: NAME,
  id: 'stompjs',
  protocol: 'stomp',
  capabilities: STOMP_CAPABILITIES,
  notes: STOMP_NOTES,
  address: stompAddress,
  connect(server: TestServer, opts: ConnectOptions = {}): Promise<Connection> {
    const connectHeaders: StompHeaders = { host: '/' };
    if (opts.username !== undefined) connectHeaders.login = opts.username;
    if (opts.password !== undefined) connectHeaders.passcode = opts.password;
    if (opts.clientId !== undefined) connectHeaders['client-id'] = opts.clientId;
    return new Promise((resolve, reject) => {
      const client = new Client({
        webSocketFactory: () => new WebSocket(`ws://127.0.0.1:${server.ports.ws!}`, ['v12.stomp']),
        connectHeaders,
        reconnectDelay: 0,
        heartbeatIncoming: 0,
        heartbeatOutgoing: 0,
        onConnect: () => resolve(new StompJsConnection(stompJsDriver, client)),
        onStompError: (frame) => reject(refusal(frame)),
        onWebSocketError: () => reject(new RefusedError(NAME, 'websocket', 'WebSocket error')),
        onWebSocketClose: () => reject(new RefusedError(NAME, 'closed', 'the WebSocket closed before CONNECTED')),
      });
      client.activate();
    });
  },
};
