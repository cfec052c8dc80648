/**
 * SQS queue names, URLs and ARNs over core queue names.
 *
 * An SQS queue is the core queue of the same name: `orders` is STOMP `/queue/orders` and AMQP
 * `queue://orders`; `orders.fifo` is the FIFO core queue `orders.fifo`. URLs are
 * `http(s)://HOST:PORT/ACCOUNT/NAME` (HOST:PORT as the client addressed the broker: its Host
 * header) and ARNs `arn:aws:sqs:REGION:ACCOUNT:NAME`, with region and account from `aws.*`.
 *
 * CreateQueue only accepts SQS's names (1-80 of `A-Za-z0-9_-`, plus `.fifo` for a FIFO queue);
 * every other operation addresses any existing core queue whose name fits in a URL path segment,
 * so queues other front-ends made (`orders.eu`, dot-levelled) are reachable too.
 */
import { sqsError } from './sqs-errors.js';

export const SQS_NAME = /^[A-Za-z0-9_-]{1,80}$/;
export const FIFO_SUFFIX = '.fifo';

export interface SqsLocation {
  region: string;
  accountId: string;
}

/** Why `name` cannot be created through SQS, or undefined. */
export function sqsNameProblem(name: string, fifo: boolean): string | undefined {
  const base = name.endsWith(FIFO_SUFFIX) ? name.slice(0, -FIFO_SUFFIX.length) : name;
  if (fifo !== name.endsWith(FIFO_SUFFIX)) {
    return fifo ? 'The name of a FIFO queue must end with the .fifo suffix.' : 'Only FIFO queue names can end with .fifo (set FifoQueue to true).';
  }
  if (!SQS_NAME.test(base) || name.length > 80) {
    return 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.';
  }
  return undefined;
}

export function queueArn(loc: SqsLocation, name: string): string {
  return `arn:aws:sqs:${loc.region}:${loc.accountId}:${name}`;
}

export function queueUrl(baseUrl: string, loc: SqsLocation, name: string): string {
  return `${baseUrl}/${loc.accountId}/${encodeURIComponent(name)}`;
}

/**
 * The queue name a QueueUrl names: the last path segment of a URL whose account segment (if any)
 * is ours; a bare name is accepted too (as some emulators do). Throws QueueDoesNotExist.
 */
export function nameFromUrl(loc: SqsLocation, url: string): string {
  let path: string;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    try {
      path = new URL(url).pathname;
    } catch {
      throw sqsError('queueDoesNotExist', `The specified queue URL "${url}" is not valid.`);
    }
  } else {
    path = url;
  }
  const segments = path.split('/').filter((s) => s !== '');
  let name: string;
  try {
    name = decodeURIComponent(segments.at(-1) ?? '');
  } catch {
    name = '';
  }
  const account = segments.length >= 2 ? segments.at(-2) : undefined;
  if (name === '' || segments.length > 2 || (account !== undefined && account !== loc.accountId)) {
    throw sqsError('queueDoesNotExist', `The specified queue does not exist: ${url}`);
  }
  return name;
}

/** The queue name of an SQS ARN in our region and account. Throws InvalidParameterValue (`what` names the parameter). */
export function nameFromArn(loc: SqsLocation, arn: string, what: string): string {
  const parts = arn.split(':');
  if (parts.length !== 6 || parts[0] !== 'arn' || parts[2] !== 'sqs' || parts[5] === '') {
    throw sqsError('invalidParameterValue', `Value ${arn} for parameter ${what} is invalid. Reason: not an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME).`);
  }
  if (parts[3] !== loc.region || parts[4] !== loc.accountId) {
    throw sqsError('invalidParameterValue', `Value ${arn} for parameter ${what} is invalid. Reason: the queue must be in region ${loc.region} and account ${loc.accountId}.`);
  }
  return parts[5]!;
}
