/**
 * The shared shape of SQS batch operations: 1 to 10 entries with distinct ids of 1-80
 * `A-Za-z0-9_-` characters; each entry succeeds or fails on its own (Successful / Failed).
 */
import { AwsError } from '../errors.js';
import { optionalObjectList, type Input } from './params.js';
import { sqsError, toSqsError } from './sqs-errors.js';

export const MAX_BATCH_ENTRIES = 10;
const ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** The request's entries, checked as a batch (EmptyBatchRequest, TooManyEntriesInBatchRequest, InvalidBatchEntryId, BatchEntryIdsNotDistinct). */
export function batchEntries(input: Input, member: string): Array<Input & { Id: string }> {
  const entries = optionalObjectList(input, member);
  if (entries.length === 0) throw sqsError('emptyBatchRequest', 'There should be at least one entry in the request.');
  if (entries.length > MAX_BATCH_ENTRIES) {
    throw sqsError('tooManyEntriesInBatchRequest', `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`);
  }
  const seen = new Set<string>();
  for (const e of entries) {
    const id = e['Id'];
    if (typeof id !== 'string' || !ENTRY_ID.test(id)) {
      throw sqsError('invalidBatchEntryId', 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.');
    }
    if (seen.has(id)) throw sqsError('batchEntryIdsNotDistinct', `Id ${id} repeated.`);
    seen.add(id);
  }
  return entries as Array<Input & { Id: string }>;
}

export interface BatchFailure {
  Id: string;
  SenderFault: boolean;
  Code: string;
  Message: string;
}

export function batchFailure(id: string, err: unknown): BatchFailure {
  const e: AwsError = toSqsError(err);
  return { Id: id, SenderFault: e.fault === 'Sender', Code: e.queryCode, Message: e.message };
}

/** Run every entry (started in order, settled independently) and sort the outcomes into Successful and Failed. */
export async function runBatch<E extends { Id: string }>(
  entries: readonly E[],
  run: (entry: E) => Promise<Input>,
  onUnexpected: (err: unknown) => void,
): Promise<{ Successful: Input[]; Failed: BatchFailure[] }> {
  const settled = await Promise.allSettled(entries.map((e) => {
    try {
      return run(e);
    } catch (err) {
      return Promise.reject(err);
    }
  }));
  const Successful: Input[] = [];
  const Failed: BatchFailure[] = [];
  settled.forEach((s, i) => {
    const id = entries[i]!.Id;
    if (s.status === 'fulfilled') {
      Successful.push({ Id: id, ...s.value });
    } else {
      if (!(s.reason instanceof AwsError) && !(s.reason instanceof Error && s.reason.name === 'BrokerError')) onUnexpected(s.reason);
      Failed.push(batchFailure(id, s.reason));
    }
  });
  return { Successful, Failed };
}
