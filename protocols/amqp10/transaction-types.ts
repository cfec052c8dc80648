/**
 * The wire shapes of AMQP 1.0 transactions (part 4 of the spec), which rhea does not define:
 * the coordinator target, the declare and discharge control bodies, the declared outcome and the
 * transactional delivery state. Decoded from and encoded to rhea's own typed values.
 *
 * | type                | descriptor                         | fields                          |
 * |---------------------|------------------------------------|---------------------------------|
 * | coordinator         | `amqp:coordinator:list` 0x30       | capabilities (symbol, multiple) |
 * | declare             | `amqp:declare:list` 0x31           | global-id (*)                   |
 * | discharge           | `amqp:discharge:list` 0x32         | txn-id (binary), fail (boolean) |
 * | declared            | `amqp:declared:list` 0x33          | txn-id (binary)                 |
 * | transactional-state | `amqp:transactional-state:list` 0x34 | txn-id (binary), outcome (*)  |
 */
import rhea, { type AmqpError } from 'rhea';
import { amqpValueBody } from './amqp-codec.js';

export const TxDescriptor = {
  coordinator: 0x30,
  declare: 0x31,
  discharge: 0x32,
  declared: 0x33,
  transactionalState: 0x34,
} as const;

const SYMBOLIC: Record<string, number> = {
  'amqp:coordinator:list': TxDescriptor.coordinator,
  'amqp:declare:list': TxDescriptor.declare,
  'amqp:discharge:list': TxDescriptor.discharge,
  'amqp:declared:list': TxDescriptor.declared,
  'amqp:transactional-state:list': TxDescriptor.transactionalState,
  'amqp:accepted:list': 0x24,
  'amqp:rejected:list': 0x25,
  'amqp:released:list': 0x26,
  'amqp:modified:list': 0x27,
};

/** Terminal outcomes a transactional-state may carry (messaging §3.4). */
const OUTCOME_CODES = new Set([0x24, 0x25, 0x26, 0x27]);

export const TxCapability = {
  local: 'amqp:local-transactions',
  distributed: 'amqp:distributed-transactions',
  promotable: 'amqp:promotable-transactions',
  multiTxnsPerSession: 'amqp:multi-txns-per-ssn',
  multiSessionsPerTxn: 'amqp:multi-ssns-per-txn',
} as const;

/**
 * What this coordinator offers: local transactions, several open at once, usable on every
 * session of the connection (the connection has one ServerSession, which holds them).
 */
export const COORDINATOR_CAPABILITIES: readonly string[] = [TxCapability.local, TxCapability.multiTxnsPerSession, TxCapability.multiSessionsPerTxn];

/** A value as rhea's type reader produces it (described values carry `descriptor`). */
export interface RheaTyped {
  type?: { name: string; typecode: number };
  value: unknown;
  descriptor?: { value: unknown };
}

/** A control body or delivery state that does not have the shape the spec gives it. */
export class TransactionDecodeError extends Error {
  override readonly name = 'TransactionDecodeError';
}

function isTyped(v: unknown): v is RheaTyped {
  return typeof v === 'object' && v !== null && 'value' in v && 'type' in v;
}

/** The numeric descriptor code of a described value (symbolic descriptors mapped), else undefined. */
export function descriptorCode(v: unknown): number | undefined {
  if (!isTyped(v) || v.descriptor === undefined) return undefined;
  const d = v.descriptor.value;
  if (typeof d === 'number') return d;
  if (typeof d === 'string') return SYMBOLIC[d] ?? -1;
  return -1;
}

function isNull(v: unknown): boolean {
  return v === undefined || v === null || (isTyped(v) && v.value === null && v.descriptor === undefined && (v.type?.name === 'Null'));
}

/** The fields of a described list (a list0 is an empty list). */
function listFields(v: RheaTyped, what: string): unknown[] {
  const name = v.type?.name;
  if (name !== 'List0' && name !== 'List8' && name !== 'List32') throw new TransactionDecodeError(`${what} is not a list`);
  return Array.isArray(v.value) ? v.value : [];
}

function binaryField(v: unknown, what: string): Buffer {
  if (isTyped(v) && v.descriptor === undefined && (v.type?.name === 'Vbin8' || v.type?.name === 'Vbin32') && Buffer.isBuffer(v.value)) {
    return v.value;
  }
  throw new TransactionDecodeError(`${what} must be binary`);
}

function booleanField(v: unknown, what: string): boolean {
  if (isNull(v)) return false;
  if (isTyped(v) && v.descriptor === undefined) {
    const name = v.type?.name;
    if (name === 'True') return true;
    if (name === 'False') return false;
    if (name === 'Boolean' && (v.value === 0 || v.value === 1)) return v.value === 1;
  }
  throw new TransactionDecodeError(`${what} must be a boolean`);
}

/** The coordinator's capabilities (a symbol or an array of symbols); [] when absent. */
export function decodeCoordinator(v: RheaTyped): string[] {
  const [caps] = listFields(v, 'coordinator');
  if (isNull(caps)) return [];
  if (isTyped(caps)) {
    const name = caps.type?.name;
    if ((name === 'Sym8' || name === 'Sym32') && typeof caps.value === 'string') return [caps.value];
    if ((name === 'Array8' || name === 'Array32') && Array.isArray(caps.value)) {
      return caps.value.map((c: unknown) => (isTyped(c) ? c.value : c)).filter((c): c is string => typeof c === 'string');
    }
  }
  throw new TransactionDecodeError('coordinator capabilities must be symbols');
}

export type ControlBody =
  | { kind: 'declare'; globalId: boolean }
  | { kind: 'discharge'; txnId: Buffer; fail: boolean };

/** A declare or discharge body (the value of the message's amqp-value section). */
export function decodeControlBody(v: RheaTyped): ControlBody {
  const code = descriptorCode(v);
  if (code === TxDescriptor.declare) {
    const [globalId] = listFields(v, 'declare');
    return { kind: 'declare', globalId: !isNull(globalId) };
  }
  if (code === TxDescriptor.discharge) {
    const [txnId, fail] = listFields(v, 'discharge');
    if (isNull(txnId)) throw new TransactionDecodeError('discharge without a txn-id');
    return { kind: 'discharge', txnId: binaryField(txnId, 'discharge txn-id'), fail: booleanField(fail, 'discharge fail') };
  }
  throw new TransactionDecodeError('the coordinator accepts only a declare or a discharge body');
}

interface RheaReader {
  read(): RheaTyped;
  remaining(): number;
}
const Reader = (rhea.types as unknown as { Reader: new (b: Buffer) => RheaReader }).Reader;

/**
 * The control body of an encoded message sent to the coordinator: one amqp-value section holding
 * a described declare or discharge. rhea's decoded message view keeps only the outer descriptor
 * of nested described values, so the value is read again from the message's bytes.
 */
export function readControlBody(payload: Buffer): ControlBody {
  const at = amqpValueBody(payload);
  if (!at) throw new TransactionDecodeError('a coordinator message must have one amqp-value body section');
  let value: RheaTyped;
  try {
    const reader = new Reader(payload.subarray(at.start, at.end));
    value = reader.read();
    if (reader.remaining() !== 0) throw new TransactionDecodeError('trailing bytes after the control body');
  } catch (err) {
    if (err instanceof TransactionDecodeError) throw err;
    throw new TransactionDecodeError(`undecodable control body: ${err instanceof Error ? err.message : String(err)}`);
  }
  return decodeControlBody(value);
}

export interface TransactionalState {
  txnId: Buffer;
  /** The provisional outcome (accepted, rejected, released, modified) as rhea decoded it; undefined when absent. */
  outcome: RheaTyped | undefined;
}

/** Is `v` a transactional-state (as the state of a transfer or disposition)? */
export function isTransactionalState(v: unknown): v is RheaTyped {
  return descriptorCode(v) === TxDescriptor.transactionalState;
}

export function decodeTransactionalState(v: RheaTyped): TransactionalState {
  const [txnId, outcome] = listFields(v, 'transactional-state');
  if (isNull(txnId)) throw new TransactionDecodeError('transactional-state without a txn-id');
  const id = binaryField(txnId, 'transactional-state txn-id');
  if (isNull(outcome)) return { txnId: id, outcome: undefined };
  const code = descriptorCode(outcome);
  if (code === undefined || !OUTCOME_CODES.has(code)) throw new TransactionDecodeError('transactional-state outcome must be accepted, rejected, released or modified');
  return { txnId: id, outcome: outcome as RheaTyped };
}

// ------------------------------------------------------------------ encoding

interface RheaTypes {
  described(descriptor: unknown, value: unknown): unknown;
  wrap_ulong(n: number): unknown;
  wrap_list(items: unknown[]): unknown;
  wrap_binary(b: Buffer): unknown;
  wrap_array(items: unknown[], code: number): unknown;
  Null(): unknown;
}
const types = rhea.types as unknown as RheaTypes;
const SYM8 = 0xa3;

interface RheaOutcomes {
  accepted(): { described(): unknown };
  rejected(fields: { error: AmqpError }): { described(): unknown };
}
const outcomes = rhea.message as unknown as RheaOutcomes;

function describedList(code: number, fields: unknown[]): unknown {
  return types.described(types.wrap_ulong(code), types.wrap_list(fields));
}

/** Our attach's target: a coordinator with the capabilities we offer. */
export function coordinatorTarget(capabilities: readonly string[]): unknown {
  return describedList(TxDescriptor.coordinator, [types.wrap_array([...capabilities], SYM8)]);
}

/** The outcome of a successful declare. */
export function declaredState(txnId: Buffer): unknown {
  return describedList(TxDescriptor.declared, [types.wrap_binary(txnId)]);
}

/** A transactional-state carrying `accepted`, or `rejected` with `error`. */
export function transactionalOutcome(txnId: Buffer, error?: AmqpError): unknown {
  const outcome = error === undefined ? outcomes.accepted().described() : outcomes.rejected({ error }).described();
  return describedList(TxDescriptor.transactionalState, [types.wrap_binary(txnId), outcome]);
}

export function acceptedState(): unknown {
  return outcomes.accepted().described();
}

export function rejectedState(error: AmqpError): unknown {
  return outcomes.rejected({ error }).described();
}

export function txnIdText(txnId: Buffer): string {
  return txnId.toString('hex');
}
