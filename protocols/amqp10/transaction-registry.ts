/**
 * The AMQP 1.0 transactions of one connection, over its ServerSession's local transactions
 * (src/core/session/transaction.ts): txn-ids, which control link declared each one, the
 * retirements (transactional outcomes of our deliveries) to finish at discharge, and whether a
 * transaction can still commit.
 *
 * - declare: a new txn-id (8 bytes, unique per connection) and `session.begin`.
 * - Transactional work (a posted message, an outcome of one of our deliveries) is staged in the
 *   session; if staging fails (a session limit), the transaction is marked rollback-only and its
 *   discharge with fail=false is rejected with amqp:transaction:rollback (AMQP 1.0 part 4:
 *   a resource that cannot process transactional work must not let the transaction commit).
 * - discharge fail=false: `session.commit` (sends accepted, acks committed), then each retirement
 *   is settled; fail=true: `session.rollback`, and each retirement reverts (see outgoing-link.ts).
 * - The control link detaching rolls back the transactions it declared; the connection closing
 *   rolls back all of them (the session does, on close).
 */
import type { AmqpError } from 'rhea';
import { isBrokerError } from '../../src/core/errors.js';
import type { ServerSession } from '../../src/core/session/server-session.js';
import type { StagedOperation } from '../../src/core/session/transaction.js';
import type { Logger } from '../../src/log.js';
import { AmqpFailure, Condition, toAmqpError } from './errors.js';
import { txnIdText } from './transaction-types.js';

/** A transactional outcome of one of our deliveries, finished at discharge. */
export interface Retirement {
  /** The transaction committed (its outcome was applied by the session): settle what is still open. */
  committed(): void;
  /** The transaction rolled back: the outcome was not applied. */
  rolledBack(): void;
}

/** The control link a transaction was declared on. */
export interface Controller {
  /** Close the control link with an error (rolling back its transactions). */
  fail(error: AmqpError): void;
}

export class AmqpTransaction {
  /** Why the transaction can no longer commit, once something staged in it failed. */
  rollbackOnly: AmqpError | undefined;
  readonly retirements: Retirement[] = [];

  constructor(readonly id: Buffer, readonly key: string, readonly controller: Controller) {}

  get label(): string {
    return txnIdText(this.id);
  }
}

export class TransactionRegistry {
  private readonly open = new Map<string, AmqpTransaction>();
  private counter = 0n;

  constructor(private readonly session: ServerSession, private readonly logger: Logger) {}

  get size(): number {
    return this.open.size;
  }

  /** A new transaction declared on `controller`. A session limit → AmqpFailure amqp:resource-limit-exceeded. */
  declare(controller: Controller): AmqpTransaction {
    this.counter += 1n;
    const id = Buffer.alloc(8);
    id.writeBigUInt64BE(this.counter);
    const key = `amqp10:${txnIdText(id)}`;
    try {
      this.session.begin(key);
    } catch (err) {
      throw limitFailure(err);
    }
    const tx = new AmqpTransaction(id, key, controller);
    this.open.set(txnIdText(id), tx);
    this.logger.debug({ txn: tx.label }, 'AMQP 1.0: transaction declared');
    return tx;
  }

  get(txnId: Buffer): AmqpTransaction | undefined {
    return this.open.get(txnIdText(txnId));
  }

  /** The open transaction `txnId`, or AmqpFailure amqp:transaction:unknown-id. */
  require(txnId: Buffer): AmqpTransaction {
    const tx = this.get(txnId);
    if (!tx) throw new AmqpFailure(Condition.transactionUnknownId, `unknown transaction ${txnIdText(txnId)}`);
    return tx;
  }

  /**
   * Stage transactional work. If the session refuses it (a limit), the transaction becomes
   * rollback-only and AmqpFailure amqp:resource-limit-exceeded is thrown.
   */
  stage(tx: AmqpTransaction, op: StagedOperation, bytes = 0): void {
    try {
      this.session.stage(tx.key, op, bytes);
    } catch (err) {
      const failure = limitFailure(err);
      tx.rollbackOnly ??= { condition: failure.condition, description: failure.message };
      this.logger.info({ txn: tx.label, err: failure.message }, 'AMQP 1.0: transactional work refused; the transaction will roll back');
      throw failure;
    }
  }

  /** Remember a retirement to finish when `tx` is discharged. */
  retire(tx: AmqpTransaction, retirement: Retirement): void {
    tx.retirements.push(retirement);
  }

  /**
   * Discharge `txnId`: fail=true rolls back; fail=false commits, unless the transaction is
   * rollback-only (then it rolls back and AmqpFailure amqp:transaction:rollback is thrown).
   * Unknown (or already discharged) → AmqpFailure amqp:transaction:unknown-id.
   */
  async discharge(txnId: Buffer, fail: boolean): Promise<void> {
    const tx = this.require(txnId);
    this.open.delete(tx.label);
    if (fail) {
      this.rollback(tx, 'discharged with fail=true');
      return;
    }
    if (tx.rollbackOnly) {
      this.rollback(tx, 'rollback-only');
      throw new AmqpFailure(Condition.transactionRollback, `transaction ${tx.label} was rolled back: ${tx.rollbackOnly.description ?? tx.rollbackOnly.condition}`);
    }
    try {
      await this.session.commit(tx.key);
    } catch (err) {
      // What was already applied stays applied (the core has no atomic multi-destination commit);
      // outcomes not applied revert. Settling an already settled delivery again is a no-op.
      for (const r of tx.retirements) r.rolledBack();
      const error = toAmqpError(err);
      this.logger.warn({ txn: tx.label, err }, 'AMQP 1.0: transaction commit failed');
      throw new AmqpFailure(error.condition ?? Condition.internalError, `commit of transaction ${tx.label} failed, operations before the failure took effect: ${error.description ?? 'internal error'}`);
    }
    for (const r of tx.retirements) r.committed();
    this.logger.debug({ txn: tx.label }, 'AMQP 1.0: transaction committed');
  }

  /** The control link is gone: roll back every transaction it declared and did not discharge. */
  rollbackOf(controller: Controller): void {
    for (const tx of [...this.open.values()]) {
      if (tx.controller !== controller) continue;
      this.open.delete(tx.label);
      this.rollback(tx, 'control link detached');
    }
  }

  private rollback(tx: AmqpTransaction, reason: string): void {
    if (!this.session.closed) this.session.rollback(tx.key);
    for (const r of tx.retirements) r.rolledBack();
    this.logger.debug({ txn: tx.label, reason }, 'AMQP 1.0: transaction rolled back');
  }
}

/** A session limit (BrokerError INVALID_ARGUMENT from begin/stage) as amqp:resource-limit-exceeded. */
function limitFailure(err: unknown): AmqpFailure {
  if (isBrokerError(err, 'INVALID_ARGUMENT')) return new AmqpFailure(Condition.resourceLimitExceeded, err.message);
  const e = toAmqpError(err);
  return new AmqpFailure(e.condition ?? Condition.internalError, e.description ?? 'internal error');
}
