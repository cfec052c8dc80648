/**
 * Local transactions of a session: sends and settlements staged in a unit of work.
 *
 * Staged operations run at commit, in the order they were staged: each send is handed to the
 * core in turn (its request is resolved then — authorization and temp-queue creation happen at
 * commit), each ack/nack settles then; commit resolves once every send is accepted (committed if
 * persistent) and every ack committed. Rollback discards the staged sends; the deliveries of
 * staged acks stay unsettled (the client may settle them again, and closing the session
 * redelivers them), or — with `redeliver: true` — are handed back to their queues at once.
 * Closing the session rolls back every open transaction.
 *
 * Limits: `maxTransactions` open at once; per transaction `maxOperations` and `maxBytes` of
 * staged message bodies.
 */
import { BrokerError } from '../errors.js';
import type { ExchangePublishRequest } from './exchange-operations.js';
import type { SendRequest } from './send-request.js';
import type { NackOutcome, SessionConsumer } from './types.js';

export interface TransactionLimits {
  maxTransactions: number;
  maxOperations: number;
  maxBytes: number;
}

export type StagedOperation =
  | { kind: 'send'; request: SendRequest | (() => SendRequest | Promise<SendRequest>) }
  /** A publish through an exchange (AMQP 0-9-1 tx), authorized at commit like a send. */
  | { kind: 'publish'; request: ExchangePublishRequest }
  | { kind: 'ack'; consumer: SessionConsumer; deliveryId: number; cumulative?: boolean }
  | { kind: 'nack'; consumer: SessionConsumer; deliveryId: number; outcome: NackOutcome }
  /** Resolved at commit into one of the above, or nothing (e.g. an ack that no longer applies). */
  | { kind: 'deferred'; resolve: () => StagedOperation | undefined };

export interface Transaction {
  readonly id: string;
  readonly operations: StagedOperation[];
  bytes: number;
}

export class Transactions {
  private readonly open = new Map<string, Transaction>();

  constructor(private readonly limits: TransactionLimits) {}

  get size(): number {
    return this.open.size;
  }

  has(id: string): boolean {
    return this.open.has(id);
  }

  begin(id: string): void {
    if (this.open.has(id)) throw new BrokerError('INVALID_ARGUMENT', `transaction "${id}" is already open`);
    if (this.open.size >= this.limits.maxTransactions) {
      throw new BrokerError('INVALID_ARGUMENT', `too many open transactions (limit ${this.limits.maxTransactions})`);
    }
    this.open.set(id, { id, operations: [], bytes: 0 });
  }

  /** Stage an operation; `bytes` counts against maxBytes (a send's body). */
  stage(id: string, op: StagedOperation, bytes = 0): void {
    const tx = this.require(id);
    if (tx.operations.length >= this.limits.maxOperations) {
      throw new BrokerError('INVALID_ARGUMENT', `transaction "${id}" exceeds ${this.limits.maxOperations} staged operations`);
    }
    if (tx.bytes + bytes > this.limits.maxBytes) {
      throw new BrokerError('INVALID_ARGUMENT', `transaction "${id}" exceeds ${this.limits.maxBytes} bytes`);
    }
    tx.operations.push(op);
    tx.bytes += bytes;
  }

  /** Close the transaction and return its operations in order (the session runs them). */
  take(id: string): StagedOperation[] {
    const tx = this.require(id);
    this.open.delete(id);
    return tx.operations;
  }

  /** Close every open transaction, returning their operations (for rollback). */
  takeAll(): StagedOperation[][] {
    const all = [...this.open.values()].map((t) => t.operations);
    this.open.clear();
    return all;
  }

  private require(id: string): Transaction {
    const tx = this.open.get(id);
    if (!tx) throw new BrokerError('INVALID_ARGUMENT', `no open transaction "${id}"`);
    return tx;
  }
}
