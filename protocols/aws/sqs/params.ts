/**
 * Reading an SQS operation's input (the JSON protocol's shapes; the query protocol is turned into
 * the same shapes) with AWS's messages for missing and out-of-range parameters.
 */
import { sqsError } from './sqs-errors.js';

export type Input = Record<string, unknown>;

export function requireString(input: Input, name: string): string {
  const v = input[name];
  if (v === undefined || v === null || v === '') throw sqsError('missingParameter', `The request must contain the parameter ${name}.`);
  if (typeof v !== 'string') throw sqsError('invalidParameterValue', `Value for parameter ${name} is invalid. Reason: must be a string.`);
  return v;
}

export function optionalString(input: Input, name: string): string | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw sqsError('invalidParameterValue', `Value for parameter ${name} is invalid. Reason: must be a string.`);
  return v;
}

/** An integer parameter (a JSON number, or its decimal text) within [min, max]; undefined when absent. */
export function optionalInt(input: Input, name: string, min: number, max: number, reason?: string): number | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw sqsError('invalidParameterValue', `Value ${String(v)} for parameter ${name} is invalid. Reason: ${reason ?? `Must be between ${min} and ${max}`}.`);
  }
  return n;
}

export function requireInt(input: Input, name: string, min: number, max: number, reason?: string): number {
  const n = optionalInt(input, name, min, max, reason);
  if (n === undefined) throw sqsError('missingParameter', `The request must contain the parameter ${name}.`);
  return n;
}

export function optionalStringList(input: Input, name: string): string[] {
  const v = input[name];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw sqsError('invalidParameterValue', `Value for parameter ${name} is invalid. Reason: must be a list of strings.`);
  }
  return v as string[];
}

export function optionalStringMap(input: Input, name: string): Record<string, string> {
  const v = input[name];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw sqsError('invalidParameterValue', `Value for parameter ${name} is invalid. Reason: must be a map of strings.`);
  }
  return v as Record<string, string>;
}

export function optionalObjectMap(input: Input, name: string): Record<string, Input> {
  const v = input[name];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'object' || x === null || Array.isArray(x))) {
    throw sqsError('invalidParameterValue', `Value for parameter ${name} is invalid. Reason: must be a map of structures.`);
  }
  return v as Record<string, Input>;
}

export function optionalObjectList(input: Input, name: string): Input[] {
  const v = input[name];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'object' || x === null || Array.isArray(x))) {
    throw sqsError('invalidParameterValue', `Value for parameter ${name} is invalid. Reason: must be a list of structures.`);
  }
  return v as Input[];
}
