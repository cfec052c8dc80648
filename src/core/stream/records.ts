/**
 * Copies between stored records and the views handed to readers. Records are immutable: the
 * stream keeps its own copy of every message it accepts and hands every reader a fresh copy,
 * so neither a producer reusing its buffer nor a consumer mutating what it got changes a record.
 */
import type { Message } from '../message.js';
import type { StreamRecord } from '../store.js';
import type { StreamRecordView } from './types.js';

export function cloneMessage(m: Message): Message {
  const copy: Message = {
    body: Buffer.from(m.body),
    properties: { ...m.properties },
    headers: { ...m.headers },
    persistent: m.persistent,
  };
  if (m.groupId !== undefined) copy.groupId = m.groupId;
  if (m.dedupId !== undefined) copy.dedupId = m.dedupId;
  if (m.partitionKey !== undefined) copy.partitionKey = m.partitionKey;
  if (m.protocol !== undefined) copy.protocol = m.protocol;
  return copy;
}

/** A view over a stored record; shares the record's message (copy before handing it out). */
export function viewOf(rec: StreamRecord): StreamRecordView {
  return {
    shardId: rec.shardId,
    seq: rec.seq,
    sequenceNumber: String(rec.seq),
    partitionKey: rec.partitionKey,
    arrivedAt: rec.arrivedAt,
    message: rec.message,
  };
}

/** A copy safe to hand to a reader. */
export function copyView(v: StreamRecordView): StreamRecordView {
  return { ...v, message: cloneMessage(v.message) };
}
