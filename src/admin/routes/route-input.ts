/** Small validators for admin request bodies: every refusal names the field. */
import { BrokerError } from '../../core/errors.js';

export function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new BrokerError('INVALID_ARGUMENT', 'request body must be a JSON object');
  return body as Record<string, unknown>;
}

export function optionalInt(o: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new BrokerError('INVALID_ARGUMENT', `${key} must be an integer ${min}..${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function requiredString(o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length === 0) throw new BrokerError('INVALID_ARGUMENT', `${key} is required (a non-empty string)`);
  return v;
}

export function optionalString(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new BrokerError('INVALID_ARGUMENT', `${key} must be a string`);
  return v;
}
