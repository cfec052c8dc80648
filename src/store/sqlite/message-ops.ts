/**
 * Queue-message write operations and their coalescing inside the open batch.
 *
 *  - putMessage registers its row in the batch's `puts` index (queue → seq → pending row).
 *  - deleteMessage of a pending put turns that put into a delete of the key and becomes a no-op:
 *    nothing is written for a message that never reached the file (a DELETE of an absent key
 *    changes no page), and a re-put of a committed message is still removed.
 *  - setReceiveCount of a pending put updates the pending row and becomes a no-op.
 *  - purgeQueue / deleteDestination(queue) drop the queue from the index (its pending puts still
 *    run before the purge, in call order, and the purge removes them).
 * Everything else runs in call order, so the result equals applying each call one by one.
 */
import { reqNumber, reqString } from '../arg-checks.js';
import { encodeMessage } from '../message-codec.js';
import type { StoredMessage } from '../../core/store.js';
import type { BatchState, Op, PendingPut } from './connection.js';
import type { Statements } from './statements.js';

/** The operation a coalesced write leaves behind: it was folded into a pending put of the same batch. */
function coalesced(): void {
  // Nothing to execute; the caller's promise settles with the batch commit.
}

export function putMessageOp(s: Statements, batch: BatchState, msg: StoredMessage): Op {
  const { body, meta } = encodeMessage(msg.message);
  const p: PendingPut = {
    action: 'put', queue: reqString('queue', msg.queue), seq: reqNumber('seq', msg.seq), id: reqString('id', msg.id), body, meta,
    enqueuedAt: reqNumber('enqueuedAt', msg.enqueuedAt), availableAt: reqNumber('availableAt', msg.availableAt),
    receiveCount: reqNumber('receiveCount', msg.receiveCount),
  };
  let perQueue = batch.puts.get(p.queue);
  if (!perQueue) batch.puts.set(p.queue, (perQueue = new Map()));
  perQueue.set(p.seq, p);
  return (b) => {
    b.changes += p.action === 'put'
      ? s.putMessage.run(p.queue, p.seq, p.id, p.body, p.meta, p.enqueuedAt, p.availableAt, p.receiveCount).changes
      : s.deleteMessage.run(p.queue, p.seq).changes;
  };
}

export function setReceiveCountOp(s: Statements, batch: BatchState, queue: string, seq: number, receiveCount: number): Op {
  reqString('queue', queue);
  reqNumber('seq', seq);
  reqNumber('receiveCount', receiveCount);
  const pending = batch.puts.get(queue)?.get(seq);
  if (pending) {
    pending.receiveCount = receiveCount;
    return coalesced;
  }
  return (b) => { b.changes += s.setReceiveCount.run(receiveCount, queue, seq).changes; };
}

export function deleteMessageOp(s: Statements, batch: BatchState, queue: string, seq: number): Op {
  reqString('queue', queue);
  reqNumber('seq', seq);
  const perQueue = batch.puts.get(queue);
  const pending = perQueue?.get(seq);
  if (perQueue && pending) {
    pending.action = 'delete';
    perQueue.delete(seq);
    return coalesced;
  }
  return (b) => { b.changes += s.deleteMessage.run(queue, seq).changes; };
}

export function purgeQueueOp(s: Statements, batch: BatchState, queue: string): Op {
  reqString('queue', queue);
  batch.puts.delete(queue);
  return (b) => { b.changes += s.purgeQueue.run(queue).changes; };
}
