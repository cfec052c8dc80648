/**
 * Which handler runs each method a client sends on a channel (channel 0 is the connection's).
 * Methods only a server sends (deliver, return, *-ok, ...) are not here: COMMAND_INVALID.
 */
import type { Command } from './codec/content-assembler.js';
import type { Channel } from './channel.js';
import { basicAck, basicNack, basicRecover, basicReject } from './acks.js';
import { basicCancel, basicConsume } from './basic-consume.js';
import { basicGet } from './basic-get.js';
import { basicPublish } from './basic-publish.js';
import {
  accessRequest, basicQos, channelClose, channelFlow, channelOpenAgain, confirmSelect, txCommit, txRollback, txSelect,
} from './channel-methods.js';
import { exchangeBind, exchangeDeclare, exchangeDelete, queueBind } from './exchange-methods.js';
import { queueDeclare, queueDelete, queuePurge } from './queue-methods.js';

export type ChannelHandler = (ch: Channel, cmd: Command) => void | Promise<void>;

export const CHANNEL_HANDLERS: Readonly<Record<string, ChannelHandler>> = {
  'channel.open': channelOpenAgain,
  'channel.flow': channelFlow,
  'channel.close': channelClose,
  'access.request': accessRequest,
  'exchange.declare': exchangeDeclare,
  'exchange.delete': exchangeDelete,
  'exchange.bind': exchangeBind,
  'exchange.unbind': exchangeBind,
  'queue.declare': queueDeclare,
  'queue.bind': queueBind,
  'queue.unbind': queueBind,
  'queue.purge': queuePurge,
  'queue.delete': queueDelete,
  'basic.qos': basicQos,
  'basic.consume': basicConsume,
  'basic.cancel': basicCancel,
  'basic.publish': basicPublish,
  'basic.get': basicGet,
  'basic.ack': basicAck,
  'basic.reject': basicReject,
  'basic.nack': basicNack,
  'basic.recover': basicRecover,
  'basic.recover-async': basicRecover,
  'confirm.select': confirmSelect,
  'tx.select': txSelect,
  'tx.commit': txCommit,
  'tx.rollback': txRollback,
};
