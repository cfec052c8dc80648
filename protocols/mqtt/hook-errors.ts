/**
 * How the MQTT 3.1.1 front-end reports core errors (the one table; see
 * test/protocols/error-tables.test.ts), and the errors handed back to aedes from its hooks.
 *
 * MQTT 3.1.1 has two ways to say no: a CONNACK return code at CONNECT (2 identifier rejected,
 * 3 server unavailable, 4 bad user name or password, 5 not authorized), and, for anything later,
 * closing the connection, since a PUBLISH has no negative acknowledgement. A few refusals of a
 * PUBLISH are instead acknowledged and the message dropped (logged), so that a QoS 1/2 client
 * does not resend it forever in a reconnect loop.
 */
import { isBrokerError, type ErrorCode } from '../../src/core/errors.js';

export type ConnackCode = 2 | 3 | 4 | 5;

export interface MqttErrorMapping {
  /** CONNACK return code when the error refuses a CONNECT. */
  connack: ConnackCode;
  /** A refused PUBLISH: acknowledge and drop it, or close the connection. */
  publish: 'drop' | 'disconnect';
}

export const MQTT_ERROR_FOR_CODE: Readonly<Record<ErrorCode, MqttErrorMapping>> = {
  INVALID_NAME: { connack: 2, publish: 'disconnect' },
  INVALID_ARGUMENT: { connack: 5, publish: 'disconnect' },
  INVALID_ATTRIBUTE: { connack: 5, publish: 'disconnect' },
  INVALID_FILTER_POLICY: { connack: 5, publish: 'disconnect' },
  INVALID_JSON: { connack: 5, publish: 'disconnect' },
  MESSAGE_TOO_LARGE: { connack: 5, publish: 'disconnect' },
  QUEUE_FULL: { connack: 3, publish: 'drop' },
  NOT_FOUND: { connack: 5, publish: 'disconnect' },
  ALREADY_EXISTS: { connack: 5, publish: 'disconnect' },
  KIND_MISMATCH: { connack: 5, publish: 'disconnect' },
  PRECONDITION_FAILED: { connack: 5, publish: 'disconnect' },
  AUTO_CREATE_DISABLED: { connack: 5, publish: 'drop' },
  UNAUTHENTICATED: { connack: 4, publish: 'disconnect' },
  FORBIDDEN: { connack: 5, publish: 'drop' },
  STORE_CLOSED: { connack: 3, publish: 'disconnect' },
  STORE_FAILED: { connack: 3, publish: 'disconnect' },
  NOT_ACTIVE: { connack: 3, publish: 'disconnect' },
  CONFIG_INVALID: { connack: 3, publish: 'disconnect' },
  RECEIPT_INVALID: { connack: 5, publish: 'disconnect' },
  SHARD_INVALID: { connack: 5, publish: 'disconnect' },
  ITERATOR_INVALID: { connack: 5, publish: 'disconnect' },
};

/**
 * The CONNACK code for a failed authentication: by the table for core errors, except that a
 * client that sent no user name is "not authorized" (5) rather than "bad user name or password".
 */
export function connackForAuthFailure(err: unknown, sentUsername: boolean): ConnackCode {
  const code = isBrokerError(err) ? MQTT_ERROR_FOR_CODE[err.code].connack : 4;
  return code === 4 && !sentUsername ? 5 : code;
}

/** What to do with a PUBLISH the core refused (anything that is not a core error closes the connection). */
export function publishRefusal(err: unknown): MqttErrorMapping['publish'] {
  return isBrokerError(err) ? MQTT_ERROR_FOR_CODE[err.code].publish : 'disconnect';
}

/** A CONNECT refusal with its CONNACK return code. */
export function authError(returnCode: ConnackCode, message: string): Error & { returnCode: number } {
  return Object.assign(new Error(message), { returnCode });
}

export function errorOf(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
