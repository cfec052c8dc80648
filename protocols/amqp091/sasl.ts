/**
 * SASL mechanisms offered in connection.start: PLAIN (RFC 4616: authzid NUL authcid NUL passwd)
 * and AMQPLAIN (a field table without its length prefix: LOGIN and PASSWORD).
 */
import { readTable } from './codec/field-table.js';
import { WireReader } from './codec/wire-reader.js';
import { AmqpError } from './errors.js';

export const MECHANISMS = ['PLAIN', 'AMQPLAIN'] as const;

export interface Credentials {
  username: string;
  password: string;
}

const START_OK = { classId: 10, methodId: 11 };

function refused(detail: string): AmqpError {
  return new AmqpError('ACCESS_REFUSED', detail, START_OK, { hard: true });
}

export function parseSaslResponse(mechanism: string, response: Buffer): Credentials {
  if (mechanism === 'PLAIN') {
    const first = response.indexOf(0);
    const second = first < 0 ? -1 : response.indexOf(0, first + 1);
    if (second < 0) throw refused('malformed PLAIN response');
    return { username: response.toString('utf8', first + 1, second), password: response.toString('utf8', second + 1) };
  }
  if (mechanism === 'AMQPLAIN') {
    const framed = Buffer.allocUnsafe(4 + response.length);
    framed.writeUInt32BE(response.length, 0);
    response.copy(framed, 4);
    let table;
    try {
      table = readTable(new WireReader(framed));
    } catch {
      throw refused('malformed AMQPLAIN response');
    }
    const text = (v: unknown): string => (typeof v === 'string' ? v : '');
    return { username: text(table.LOGIN), password: text(table.PASSWORD) };
  }
  throw refused(`unsupported authentication mechanism '${mechanism}' (supported: ${MECHANISMS.join(' ')})`);
}
