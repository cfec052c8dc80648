/**
 * A failover workload over every front-end, shared by test/ha/failover.test.ts and
 * bench/failover-bench.ts:
 * - producers send persistent messages and count one as acknowledged only when the broker said
 *   so: MQTT QoS 1 PUBACK (mqtt), STOMP RECEIPT for a `persistent:true` SEND (stompit),
 *   AMQP 1.0 `accepted` for a durable message (rhea);
 * - consumers acknowledge each message `ackDelayMs` after it arrived (so some are always in
 *   flight): an MQTT persistent session (QoS 1, PUBACK), a STOMP client-individual subscription
 *   (ACK), an AMQP 1.0 receiver (accept);
 * - every receipt is recorded with its redelivery flag (MQTT DUP, STOMP `redelivered:true`,
 *   AMQP delivery-count > 0).
 * After a kill the clients are dropped and `connect` is called again with the new active's ports.
 */
import mqtt, { type MqttClient } from 'mqtt';
import rhea, { type Connection, type EventContext } from 'rhea';
import stompit from 'stompit';

export type Proto = 'mqtt' | 'stomp' | 'amqp';
export const PROTOS: readonly Proto[] = ['mqtt', 'stomp', 'amqp'];

export interface WorkloadPorts {
  mqtt?: number;
  stomp?: number;
  amqp?: number;
}

export interface WorkloadOptions {
  /** Distinguishes runs (client ids, queue names). */
  tag: string;
  producersPerProtocol?: number;
  ackDelayMs?: number;
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  if (body && typeof body === 'object' && 'content' in body) return Buffer.from((body as { content: Uint8Array }).content).toString('utf8');
  return String(body);
}

export class FailoverWorkload {
  readonly acked: Record<Proto, Set<string>> = { mqtt: new Set(), stomp: new Set(), amqp: new Set() };
  readonly received: Record<Proto, Map<string, number>> = { mqtt: new Map(), stomp: new Map(), amqp: new Map() };
  /** Receipts that carried a redelivery flag. */
  flagged = 0;
  /** Receipts of a body already received that carried no redelivery flag. */
  dupUnflagged = 0;
  /** The same two counts per protocol. */
  readonly flags: Record<Proto, { flagged: number; dupUnflagged: number }> = {
    mqtt: { flagged: 0, dupUnflagged: 0 }, stomp: { flagged: 0, dupUnflagged: 0 }, amqp: { flagged: 0, dupUnflagged: 0 },
  };
  /** Client-side errors seen (expected around a kill). */
  clientErrors = 0;
  private producing = false;
  private generation = 0;
  private readonly closers: Array<() => void> = [];
  private readonly loops: Array<Promise<void>> = [];
  readonly topic: string;
  readonly stompQueue: string;
  readonly amqpQueue: string;
  private readonly producers: number;
  private readonly ackDelayMs: number;

  constructor(readonly opts: WorkloadOptions) {
    this.topic = `fo/${opts.tag}/mqtt`;
    this.stompQueue = `fo.${opts.tag}.stomp`;
    this.amqpQueue = `fo.${opts.tag}.amqp`;
    this.producers = opts.producersPerProtocol ?? 2;
    this.ackDelayMs = opts.ackDelayMs ?? 10;
  }

  private record(proto: Proto, body: string, flagged: boolean): void {
    const m = this.received[proto];
    const n = (m.get(body) ?? 0) + 1;
    m.set(body, n);
    if (flagged) {
      this.flagged++;
      this.flags[proto].flagged++;
    } else if (n > 1) {
      this.dupUnflagged++;
      this.flags[proto].dupUnflagged++;
    }
  }

  /** Connect consumers (and subscribe) then producers to a broker; producers start with startProducing(). */
  async connect(ports: WorkloadPorts): Promise<void> {
    this.generation++;
    const g = this.generation;
    await Promise.all([this.mqttConsumer(ports.mqtt!), this.stompConsumer(ports.stomp!), this.amqpConsumer(ports.amqp!)]);
    for (let i = 0; i < this.producers; i++) {
      this.loops.push(this.mqttProducer(ports.mqtt!, `g${g}p${i}`), this.stompProducer(ports.stomp!, `g${g}p${i}`), this.amqpProducer(ports.amqp!, `g${g}p${i}`));
    }
  }

  private readonly gates: Array<() => void> = [];
  /** Producers wait for this before sending. */
  private gate(): Promise<void> {
    if (this.producing) return Promise.resolve();
    return new Promise((r) => this.gates.push(r));
  }

  startProducing(): void {
    this.producing = true;
    for (const r of this.gates.splice(0)) r();
  }

  /** Stop the producer loops (each finishes its current send) and wait for them. */
  async stopProducing(): Promise<void> {
    this.producing = false;
    for (const r of this.gates.splice(0)) r();
    await Promise.all(this.loops.splice(0));
  }

  /** Drop every client connection (after the broker died, or at the end). */
  dropClients(): void {
    for (const c of this.closers.splice(0)) {
      try {
        c();
      } catch {
        this.clientErrors++; // closing a client of a dead broker may throw; counted
      }
    }
  }

  minAcked(): number {
    return Math.min(...PROTOS.map((p) => this.acked[p].size));
  }

  totalAcked(): number {
    return PROTOS.reduce((n, p) => n + this.acked[p].size, 0);
  }

  /** Acknowledged messages no consumer has received (yet). */
  missing(): string[] {
    return PROTOS.flatMap((p) => [...this.acked[p]].filter((b) => !this.received[p].has(b)));
  }

  /** Receipts beyond the first of each body (of one protocol, or all). */
  duplicates(proto?: Proto): number {
    let n = 0;
    for (const p of proto ? [proto] : PROTOS) for (const c of this.received[p].values()) n += c - 1;
    return n;
  }

  /** One line per protocol: acked, received, duplicates, flagged. */
  summary(): string {
    return PROTOS.map((p) => `${p}: acked ${this.acked[p].size}, received ${this.received[p].size}, duplicates ${this.duplicates(p)}, flagged ${this.flags[p].flagged}, unflagged dups ${this.flags[p].dupUnflagged}`).join('; ');
  }

  // ---------------------------------------------------------------- MQTT

  private async mqttClient(port: number, opts: mqtt.IClientOptions): Promise<MqttClient> {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    c.on('error', () => { this.clientErrors++; });
    this.closers.push(() => c.end(true));
    return c;
  }

  private async mqttConsumer(port: number): Promise<void> {
    const c = await this.mqttClient(port, { clientId: `fo-sub-${this.opts.tag}`, clean: false });
    c.on('message', (_topic, payload, packet) => this.record('mqtt', payload.toString('utf8'), packet.dup === true));
    await c.subscribeAsync(this.topic, { qos: 1 });
  }

  private async mqttProducer(port: number, id: string): Promise<void> {
    const c = await this.mqttClient(port, { clientId: `fo-pub-${this.opts.tag}-${id}`, clean: true });
    const closed = new Promise<false>((r) => c.once('close', () => r(false)));
    await this.gate();
    for (let n = 0; this.producing; n++) {
      const body = `mqtt|${id}|${n}`;
      const ok = await Promise.race([c.publishAsync(this.topic, body, { qos: 1 }).then(() => true, () => false), closed]);
      if (!ok) return;
      this.acked.mqtt.add(body);
    }
  }

  // ---------------------------------------------------------------- STOMP

  private stompClient(port: number): Promise<stompit.Client> {
    return new Promise((resolve, reject) => {
      stompit.connect({ host: '127.0.0.1', port, connectHeaders: { host: '/', 'accept-version': '1.2', 'heart-beat': '0,0' } }, (err, client) => {
        if (err) {
          reject(err);
          return;
        }
        client.on('error', () => { this.clientErrors++; });
        this.closers.push(() => client.destroy(new Error('dropped by the test')));
        resolve(client);
      });
    });
  }

  private async stompConsumer(port: number): Promise<void> {
    const c = await this.stompClient(port);
    c.subscribe({ destination: `/queue/${this.stompQueue}`, ack: 'client-individual' }, (err, message) => {
      if (err) {
        this.clientErrors++;
        return;
      }
      message.readString('utf8', (readErr, body) => {
        if (readErr || body === undefined) {
          this.clientErrors++;
          return;
        }
        this.record('stomp', body, (message as unknown as { headers: Record<string, string> }).headers.redelivered === 'true');
        setTimeout(() => c.ack(message), this.ackDelayMs);
      });
    });
  }

  private async stompProducer(port: number, id: string): Promise<void> {
    const c = await this.stompClient(port);
    let dead = false;
    const closed = new Promise<false>((r) => c.once('error', () => { dead = true; r(false); }));
    await this.gate();
    for (let n = 0; this.producing && !dead; n++) {
      const body = `stomp|${id}|${n}`;
      let timer: NodeJS.Timeout | undefined;
      const receipt = new Promise<boolean>((resolve) => {
        const frame = c.send({ destination: `/queue/${this.stompQueue}`, persistent: 'true', 'content-type': 'text/plain' }, { onReceipt: () => resolve(true), onError: () => resolve(false) });
        frame.write(body);
        frame.end();
        timer = setTimeout(() => resolve(false), 5000); // no receipt: the broker died
      });
      const ok = await Promise.race([receipt, closed]);
      clearTimeout(timer);
      if (!ok) return;
      this.acked.stomp.add(body);
    }
  }

  // ---------------------------------------------------------------- AMQP 1.0

  private amqpConnection(port: number): Promise<Connection> {
    const container = rhea.create_container({ id: `fo-${this.opts.tag}-${Math.random().toString(36).slice(2)}` });
    container.on('error', () => { this.clientErrors++; });
    return new Promise((resolve, reject) => {
      const conn = container.connect({ host: '127.0.0.1', port, reconnect: false });
      conn.once('connection_open', () => {
        conn.on('disconnected', () => undefined); // the broker died: producers see it through their sends
        this.closers.push(() => { if (!conn.is_closed()) conn.close(); });
        resolve(conn);
      });
      conn.once('disconnected', (ctx: EventContext) => reject(ctx.error ?? new Error('AMQP connection failed')));
    });
  }

  private async amqpConsumer(port: number): Promise<void> {
    const conn = await this.amqpConnection(port);
    const receiver = conn.open_receiver({ source: { address: this.amqpQueue }, autoaccept: false, credit_window: 20 });
    receiver.on('message', (ctx: EventContext) => {
      const m = ctx.message!;
      this.record('amqp', bodyText(m.body), (m.delivery_count ?? 0) > 0);
      const delivery = ctx.delivery!;
      setTimeout(() => delivery.accept(), this.ackDelayMs);
    });
    await new Promise<void>((r) => receiver.once('receiver_open', () => r()));
  }

  private async amqpProducer(port: number, id: string): Promise<void> {
    const conn = await this.amqpConnection(port);
    const sender = conn.open_sender({ target: { address: this.amqpQueue } });
    const pending = new Map<number, (ok: boolean) => void>();
    const settle = (ok: boolean) => (ctx: EventContext): void => {
      const d = ctx.delivery!;
      pending.get(d.id)?.(ok);
      pending.delete(d.id);
    };
    sender.on('accepted', settle(true));
    sender.on('rejected', settle(false));
    sender.on('released', settle(false));
    sender.on('modified', settle(false));
    const closed = new Promise<false>((r) => conn.once('disconnected', () => r(false)));
    await new Promise<void>((r) => (sender.sendable() ? r() : sender.once('sendable', () => r())));
    await this.gate();
    for (let n = 0; this.producing; n++) {
      const body = `amqp|${id}|${n}`;
      const accepted = new Promise<boolean>((resolve) => {
        const d = sender.send({ body, durable: true });
        pending.set(d.id, resolve);
      });
      const ok = await Promise.race([accepted, closed]);
      if (!ok) return;
      this.acked.amqp.add(body);
    }
  }
}
