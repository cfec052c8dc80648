/**
 * Every core error code has exactly one entry in each protocol's error table, and each
 * protocol's error builder reports a BrokerError of that code through its table.
 */
import { describe, expect, it } from 'vitest';
import { BrokerError, ErrorCodes, type ErrorCode } from '../../src/core/errors.js';
import { AMQP_CONDITION_FOR_CODE, Condition, toAmqpError } from '../../protocols/amqp10/errors.js';
import { describeError, STOMP_ERROR_FOR_CODE } from '../../protocols/stomp/session-errors.js';
import { connackForAuthFailure, MQTT_ERROR_FOR_CODE, publishRefusal } from '../../protocols/mqtt/hook-errors.js';
import { AMQP091_REPLY_FOR_CODE, toAmqp091Error } from '../../protocols/amqp091/reply-codes.js';
import { ReplyCode } from '../../protocols/amqp091/spec/constants.js';

const codes = Object.keys(ErrorCodes) as ErrorCode[];
const conditions = new Set<string>(Object.values(Condition));

describe('protocol error tables cover every core ErrorCode', () => {
  it('the tables have exactly the core codes as keys', () => {
    for (const table of [AMQP_CONDITION_FOR_CODE, STOMP_ERROR_FOR_CODE, MQTT_ERROR_FOR_CODE, AMQP091_REPLY_FOR_CODE]) {
      expect(Object.keys(table).sort()).toEqual([...codes].sort());
    }
  });

  for (const code of codes) {
    it(`${code}: AMQP 1.0 condition, STOMP ERROR frame, MQTT CONNACK and PUBLISH refusal, AMQP 0-9-1 reply code`, () => {
      const err = new BrokerError(code, 'detail');
      const amqp = toAmqpError(err);
      expect(conditions.has(amqp.condition as string), String(amqp.condition)).toBe(true);
      expect(amqp.condition).toBe(AMQP_CONDITION_FOR_CODE[code]);
      expect(amqp.description).toBe(err.message);

      const stomp = describeError(err);
      expect(stomp).toEqual({ code, message: err.message, internal: STOMP_ERROR_FOR_CODE[code].internal });

      const mqtt = MQTT_ERROR_FOR_CODE[code];
      expect([2, 3, 4, 5]).toContain(mqtt.connack);
      expect(publishRefusal(err)).toBe(mqtt.publish);

      const row = AMQP091_REPLY_FOR_CODE[code];
      const { error, internal } = toAmqp091Error(err, { classId: 50, methodId: 10 });
      expect(error.replyCode).toBe(ReplyCode[row.reply]);
      expect(error.hard).toBe(row.hard);
      expect(internal).toBe(row.internal);
      expect(error.replyText).toBe(row.internal ? `${row.reply} - internal broker error` : `${row.reply} - ${err.message}`);
      expect([error.classId, error.methodId]).toEqual([50, 10]);
    });
  }

  it('keeps the mappings clients already see', () => {
    expect(toAmqpError(new BrokerError('NOT_FOUND')).condition).toBe('amqp:not-found');
    expect(toAmqpError(new BrokerError('FORBIDDEN')).condition).toBe('amqp:unauthorized-access');
    expect(toAmqpError(new BrokerError('STORE_FAILED')).condition).toBe('amqp:internal-error');
    expect(describeError(new BrokerError('STORE_FAILED')).internal).toBe(true);
    expect(describeError(new BrokerError('NOT_ACTIVE')).internal).toBe(false);
    expect(describeError(new BrokerError('STORE_CLOSED')).internal).toBe(false);
    expect(connackForAuthFailure(new BrokerError('UNAUTHENTICATED'), true)).toBe(4);
    expect(connackForAuthFailure(new BrokerError('UNAUTHENTICATED'), false)).toBe(5);
    expect(connackForAuthFailure(new Error('boom'), true)).toBe(4);
    expect(publishRefusal(new BrokerError('AUTO_CREATE_DISABLED'))).toBe('drop');
    expect(publishRefusal(new BrokerError('MESSAGE_TOO_LARGE'))).toBe('disconnect');
    expect(publishRefusal(new Error('boom'))).toBe('disconnect');
    expect(toAmqp091Error(new BrokerError('NOT_FOUND')).error.replyCode).toBe(404);
    expect(toAmqp091Error(new BrokerError('FORBIDDEN')).error.replyCode).toBe(403);
    expect(toAmqp091Error(new BrokerError('FORBIDDEN')).error.hard).toBe(false);
    expect(toAmqp091Error(new BrokerError('STORE_FAILED')).error).toMatchObject({ replyCode: 541, hard: true });
    expect(toAmqp091Error(new Error('boom')).error).toMatchObject({ replyCode: 541, hard: true });
  });
});
