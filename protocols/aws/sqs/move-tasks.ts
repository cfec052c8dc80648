/**
 * Dead-letter queue redrive: StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask.
 *
 * A task moves the messages that were in the source (a dead-letter queue) when it started, one
 * receive of up to 10 at a time: each is sent to the destination under its message id (headers,
 * attributes and group kept) and then deleted from the source, so a crash in between duplicates
 * rather than loses a message. Without DestinationArn the destination is the source's one
 * source queue: the core does not record which queue dead-lettered a message, so a DLQ with
 * several source queues needs an explicit DestinationArn. A FIFO message gets a fresh
 * deduplication id (`<old id>.redrive.<n>`) so the destination's 5-minute window does not drop it.
 * Tasks live in memory (a restart ends them; the messages not moved yet stay in the source).
 */
import { randomBytes } from 'node:crypto';
import type { Queue } from '../../../src/core/broker.js';
import { nameFromArn } from './queue-address.js';
import { optionalInt, optionalString, requireString } from './params.js';
import { sqsError } from './sqs-errors.js';
import type { SqsOperation, SqsService } from './sqs-service.js';

type TaskStatus = 'RUNNING' | 'COMPLETED' | 'CANCELLING' | 'CANCELLED' | 'FAILED';

interface MoveTask {
  handle: string;
  source: string;
  destination: string;
  explicitDestination: boolean;
  rate: number | undefined;
  status: TaskStatus;
  moved: number;
  toMove: number;
  startedAt: number;
  failureReason?: string;
}

const MOVE_VISIBILITY_MS = 60_000;

export class MoveTasks {
  private readonly tasks = new Map<string, MoveTask>();
  private counter = 0;

  constructor(private readonly svc: SqsService) {}

  start(source: Queue, destination: Queue, explicit: boolean, rate: number | undefined): MoveTask {
    for (const t of this.tasks.values()) {
      if (t.source === source.name && (t.status === 'RUNNING' || t.status === 'CANCELLING')) {
        throw sqsError('unsupportedOperation', `A message move task is already running on ${this.svc.arn(source.name)}.`);
      }
    }
    this.counter += 1;
    const handle = Buffer.from(JSON.stringify({ id: `${randomBytes(6).toString('hex')}-${this.counter}`, source: source.name })).toString('base64url');
    const task: MoveTask = {
      handle, source: source.name, destination: destination.name, explicitDestination: explicit, rate,
      status: 'RUNNING', moved: 0, toMove: source.stats().visible, startedAt: this.svc.broker.clock.now(),
    };
    this.tasks.set(handle, task);
    void this.run(task, source, destination);
    return task;
  }

  private async run(task: MoveTask, source: Queue, destination: Queue): Promise<void> {
    const fifo = destination.attributes.fifo;
    try {
      while (task.status === 'RUNNING' && task.moved < task.toMove && !source.closed && !destination.closed) {
        const batch = await source.receive({ max: Math.min(10, task.toMove - task.moved), waitMs: 0, visibilityTimeoutMs: MOVE_VISIBILITY_MS });
        if (batch.length === 0) break;
        for (const r of batch) {
          const message = fifo ? { ...r.message, dedupId: `${r.message.dedupId ?? r.id}.redrive.${task.moved}` } : r.message;
          await destination.send(message, { id: r.id });
          await source.deleteMessage(r.receipt);
          task.moved += 1;
        }
        if (task.rate !== undefined) await this.pause((batch.length / task.rate) * 1000);
      }
      task.status = task.status === 'CANCELLING' ? 'CANCELLED' : 'COMPLETED';
    } catch (err) {
      task.status = 'FAILED';
      task.failureReason = err instanceof Error ? err.message : String(err);
      this.svc.logger.warn({ err, source: task.source, destination: task.destination }, 'SQS message move task failed');
    }
    this.svc.logger.info({ source: task.source, destination: task.destination, moved: task.moved, status: task.status }, 'SQS message move task ended');
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => this.svc.broker.clock.setTimer(ms, resolve));
  }

  find(handle: string): MoveTask | undefined {
    return this.tasks.get(handle);
  }

  /** Newest first. */
  list(source: string): MoveTask[] {
    return [...this.tasks.values()].filter((t) => t.source === source).reverse();
  }

  cancelAll(): void {
    for (const t of this.tasks.values()) if (t.status === 'RUNNING') t.status = 'CANCELLING';
  }
}

function describe(svc: SqsService, t: MoveTask): Record<string, unknown> {
  return {
    TaskHandle: t.handle,
    Status: t.status,
    SourceArn: svc.arn(t.source),
    ...(t.explicitDestination ? { DestinationArn: svc.arn(t.destination) } : {}),
    ...(t.rate !== undefined ? { MaxNumberOfMessagesPerSecond: t.rate } : {}),
    ApproximateNumberOfMessagesMoved: t.moved,
    ApproximateNumberOfMessagesToMove: t.toMove,
    StartedTimestamp: t.startedAt,
    ...(t.failureReason !== undefined ? { FailureReason: t.failureReason } : {}),
  };
}

const StartMessageMoveTask: SqsOperation = async (svc, call, input) => {
  const sourceName = nameFromArn(svc.location, requireString(input, 'SourceArn'), 'SourceArn');
  const source = svc.queueNamed(sourceName);
  svc.authorize(call, 'read', sourceName);
  const destinationArn = optionalString(input, 'DestinationArn');
  const rate = optionalInt(input, 'MaxNumberOfMessagesPerSecond', 1, 500);
  const sources = svc.broker.listQueues().filter((q) => q.attributes.deadLetterQueue === sourceName);
  if (sources.length === 0) {
    throw sqsError('invalidParameterValue', `Value for parameter SourceArn is invalid. Reason: ${svc.arn(sourceName)} is not the dead-letter queue of any queue.`);
  }
  let destinationName: string;
  if (destinationArn !== undefined) {
    destinationName = nameFromArn(svc.location, destinationArn, 'DestinationArn');
  } else if (sources.length === 1) {
    destinationName = sources[0]!.name;
  } else {
    throw sqsError('invalidParameterValue', `Value for parameter DestinationArn is invalid. Reason: ${svc.arn(sourceName)} is the dead-letter queue of ${sources.length} queues; give DestinationArn (Interchange does not record which queue dead-lettered a message).`);
  }
  const destination = svc.queueNamed(destinationName);
  svc.authorize(call, 'write', destinationName);
  if (destination.attributes.fifo !== source.attributes.fifo) {
    throw sqsError('invalidParameterValue', 'Value for parameter DestinationArn is invalid. Reason: source and destination must both be FIFO or both standard queues.');
  }
  const task = svc.moves.start(source, destination, destinationArn !== undefined, rate);
  return { TaskHandle: task.handle };
};

const ListMessageMoveTasks: SqsOperation = async (svc, call, input) => {
  const sourceName = nameFromArn(svc.location, requireString(input, 'SourceArn'), 'SourceArn');
  svc.queueNamed(sourceName);
  svc.authorize(call, 'read', sourceName);
  const max = optionalInt(input, 'MaxResults', 1, 10) ?? 1;
  return { Results: svc.moves.list(sourceName).slice(0, max).map((t) => describe(svc, t)) };
};

const CancelMessageMoveTask: SqsOperation = async (svc, call, input) => {
  const handle = requireString(input, 'TaskHandle');
  const task = svc.moves.find(handle);
  if (!task) throw sqsError('resourceNotFound', 'The specified message move task does not exist.');
  svc.authorize(call, 'read', task.source);
  if (task.status !== 'RUNNING') throw sqsError('unsupportedOperation', `The message move task is ${task.status}, not RUNNING.`);
  task.status = 'CANCELLING';
  return { ApproximateNumberOfMessagesMoved: task.moved };
};

export const moveTaskOperations: Record<string, SqsOperation> = { StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask };
