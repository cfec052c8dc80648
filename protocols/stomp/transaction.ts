/**
 * STOMP transactions (BEGIN / COMMIT / ABORT). SEND, ACK and NACK frames carrying
 * `transaction:<id>` are recorded, not executed; COMMIT executes them in the order received
 * (sends first reach the core then, acks settle then), ABORT forgets them: aborted sends never
 * happen and aborted acks leave their deliveries pending (the client may ACK them again, and a
 * disconnect redelivers them). A disconnect aborts every open transaction.
 *
 * Limits per connection: `maxTransactions` open at once, and per transaction
 * `maxTransactionFrames` frames and `maxTransactionBytes` body bytes.
 */
import { BrokerError } from '../../src/core/errors.js';
import type { StompFrame } from './frame.js';
import type { StompOptions } from './options.js';

export class Transactions {
  private readonly open = new Map<string, { frames: StompFrame[]; bytes: number }>();

  constructor(private readonly options: StompOptions) {}

  get size(): number {
    return this.open.size;
  }

  begin(id: string): void {
    if (this.open.has(id)) throw new BrokerError('INVALID_ARGUMENT', `transaction "${id}" is already open`);
    if (this.open.size >= this.options.maxTransactions) {
      throw new BrokerError('INVALID_ARGUMENT', `too many open transactions (limit ${this.options.maxTransactions})`);
    }
    this.open.set(id, { frames: [], bytes: 0 });
  }

  /** Record a SEND/ACK/NACK frame for later. */
  add(id: string, frame: StompFrame): void {
    const tx = this.require(id);
    if (tx.frames.length >= this.options.maxTransactionFrames) {
      throw new BrokerError('INVALID_ARGUMENT', `transaction "${id}" exceeds ${this.options.maxTransactionFrames} frames`);
    }
    if (tx.bytes + frame.body.length > this.options.maxTransactionBytes) {
      throw new BrokerError('INVALID_ARGUMENT', `transaction "${id}" exceeds ${this.options.maxTransactionBytes} bytes`);
    }
    tx.frames.push(frame);
    tx.bytes += frame.body.length;
  }

  /** Close the transaction and return its frames in order. */
  commit(id: string): StompFrame[] {
    const tx = this.require(id);
    this.open.delete(id);
    return tx.frames;
  }

  abort(id: string): void {
    this.require(id);
    this.open.delete(id);
  }

  abortAll(): void {
    this.open.clear();
  }

  private require(id: string): { frames: StompFrame[]; bytes: number } {
    const tx = this.open.get(id);
    if (!tx) throw new BrokerError('INVALID_ARGUMENT', `no open transaction "${id}"`);
    return tx;
  }
}
