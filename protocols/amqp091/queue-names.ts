/**
 * Queue names as 0-9-1 methods give them: an empty name means the channel's last declared queue;
 * a server-named queue is `amq.gen-` + 22 random base64url characters, like RabbitMQ's.
 */
import { randomBytes } from 'node:crypto';
import type { Channel } from './channel.js';
import { AmqpError, type ErrorSite } from './errors.js';

export function serverQueueName(): string {
  return `amq.gen-${randomBytes(16).toString('base64url')}`;
}

export function resolveQueueName(ch: Channel, name: string, site: ErrorSite): string {
  if (name !== '') return name;
  if (ch.lastQueue === undefined) throw new AmqpError('NOT_FOUND', 'no previously declared queue', site);
  return ch.lastQueue;
}

export function noQueue(name: string, site: ErrorSite): AmqpError {
  return new AmqpError('NOT_FOUND', `no queue '${name}' in vhost '/'`, site);
}
