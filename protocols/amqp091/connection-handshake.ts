/**
 * The connection handshake on channel 0: start (server properties, capabilities, mechanisms) →
 * start-ok (PLAIN / AMQPLAIN through the security core) → tune → tune-ok (channel-max, frame-max,
 * heartbeat negotiation) → open (vhost `/` only) → open-ok.
 */
import type { Principal, SecurityManager } from '../../src/security/security-manager.js';
import { VERSION } from '../../src/version.js';
import type { FieldTable } from './codec/field-table.js';
import { argBytes, argNumber, argString, argTable, type DecodedMethod, type MethodArgs } from './codec/method-codec.js';
import { AmqpError } from './errors.js';
import { FRAME_MIN_SIZE } from './spec/constants.js';
import { MECHANISMS, parseSaslResponse } from './sasl.js';

export const SERVER_CAPABILITIES = [
  'publisher_confirms', 'exchange_exchange_bindings', 'basic.nack', 'consumer_cancel_notify', 'connection.blocked',
  'authentication_failure_close', 'per_consumer_qos', 'direct_reply_to',
] as const;

export function startArgs(): MethodArgs {
  const capabilities: FieldTable = Object.fromEntries(SERVER_CAPABILITIES.map((c) => [c, true]));
  return {
    versionMajor: 0,
    versionMinor: 9,
    serverProperties: {
      product: 'Interchange',
      version: VERSION,
      platform: `Node.js ${process.version}`,
      information: 'Interchange multi-protocol broker (AMQP 0-9-1 front-end)',
      capabilities: { type: 'map', value: capabilities },
    },
    mechanisms: MECHANISMS.join(' '),
    locales: 'en_US',
  };
}

export interface StartOkResult {
  principal: Principal;
  clientProperties: FieldTable;
  /** The client reads a connection.close with ACCESS_REFUSED when authentication fails. */
  authFailureClose: boolean;
}

export function clientCapabilities(props: FieldTable): FieldTable {
  const c = props.capabilities;
  return typeof c === 'object' && c !== null && c.type === 'map' ? c.value : {};
}

/** Authenticate connection.start-ok; a refusal is an AmqpError ACCESS_REFUSED carrying `authFailureClose`. */
export async function acceptStartOk(m: DecodedMethod, security: SecurityManager, remoteAddress: string): Promise<StartOkResult> {
  const clientProperties = argTable(m, 'clientProperties');
  const authFailureClose = clientCapabilities(clientProperties).authentication_failure_close === true;
  const mechanism = argString(m, 'mechanism');
  try {
    const { username, password } = parseSaslResponse(mechanism, argBytes(m, 'response'));
    const principal = await security.authenticate({ username, password, remoteAddress });
    return { principal, clientProperties, authFailureClose };
  } catch (err) {
    const detail = err instanceof AmqpError ? err.message.slice(err.message.indexOf(' - ') + 3)
      : `Login was refused using authentication mechanism ${mechanism}. For details see the broker logfile.`;
    throw Object.assign(new AmqpError('ACCESS_REFUSED', detail, { classId: 10, methodId: 11 }, { hard: true, cause: err }), { authFailureClose });
  }
}

export interface Tuning {
  channelMax: number;
  frameMax: number;
  heartbeat: number;
}

export function tuneArgs(server: Tuning): MethodArgs {
  return { channelMax: server.channelMax, frameMax: server.frameMax, heartbeat: server.heartbeat };
}

/**
 * What the client chose in tune-ok, checked against what the server proposed (RabbitMQ's rules):
 * 0 for channel-max or frame-max means "no limit" and takes the server's; a frame-max below 4096
 * or above the server's, or a channel-max above the server's, is NOT_ALLOWED (530). The
 * heartbeat is the client's choice (0 disables).
 */
export function acceptTuneOk(m: DecodedMethod, server: Tuning): Tuning {
  const site = { classId: 10, methodId: 31 };
  const channelMax = argNumber(m, 'channelMax') || server.channelMax;
  const frameMax = argNumber(m, 'frameMax') || server.frameMax;
  const heartbeat = argNumber(m, 'heartbeat');
  if (frameMax < FRAME_MIN_SIZE) throw new AmqpError('NOT_ALLOWED', `frame_max=${frameMax} < ${FRAME_MIN_SIZE} min size`, site);
  if (frameMax > server.frameMax) throw new AmqpError('NOT_ALLOWED', `frame_max=${frameMax} > ${server.frameMax} max size`, site);
  if (channelMax > server.channelMax) throw new AmqpError('NOT_ALLOWED', `channel_max=${channelMax} > ${server.channelMax} max`, site);
  return { channelMax, frameMax, heartbeat };
}

/** connection.open: only the default virtual host `/` exists. */
export function acceptOpen(m: DecodedMethod, principal: Principal): void {
  const vhost = argString(m, 'virtualHost');
  if (vhost !== '/') {
    throw new AmqpError('NOT_ALLOWED', `vhost '${vhost}' not found (this broker has one virtual host, '/'; user '${principal.name}')`, { classId: 10, methodId: 40 });
  }
}
