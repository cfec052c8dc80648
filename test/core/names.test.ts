import { describe, expect, it } from 'vitest';
import { validateName, validatePattern, isFifoName } from '../../src/core/names.js';
import { isBrokerError } from '../../src/core/errors.js';

function code(fn: () => unknown): string | undefined {
  try { fn(); } catch (err) { return isBrokerError(err) ? err.code : 'OTHER'; }
  return undefined;
}

describe('names', () => {
  it('accepts hierarchical names', () => {
    expect(validateName('orders')).toBe('orders');
    expect(validateName('sensors.floor1.t1')).toBe('sensors.floor1.t1');
    expect(validateName('a%2Eb.c')).toBe('a%2Eb.c');
  });

  it.each([
    ['', 'empty'], ['a..b', 'empty level'], ['.a', 'leading dot'], ['a.', 'trailing dot'],
    ['a.*', 'wildcard'], ['a.>', 'wildcard'], ['a\u0000b', 'control'], [' a', 'whitespace'],
    ['x'.repeat(1025), 'too long'],
  ])('rejects %j (%s)', (name) => {
    expect(code(() => validateName(name))).toBe('INVALID_NAME');
  });

  it('rejects non-strings', () => {
    expect(code(() => validateName(42))).toBe('INVALID_NAME');
  });

  it('validates patterns', () => {
    expect(validatePattern('a.*.c')).toBe('a.*.c');
    expect(validatePattern('a.>')).toBe('a.>');
    expect(validatePattern('>')).toBe('>');
    expect(code(() => validatePattern('a.b*'))).toBe('INVALID_NAME');
    expect(code(() => validatePattern('a.>.b'))).toBe('INVALID_NAME');
    expect(code(() => validatePattern('a.x>'))).toBe('INVALID_NAME');
  });

  it('recognises FIFO names', () => {
    expect(isFifoName('orders.fifo')).toBe(true);
    expect(isFifoName('orders')).toBe(false);
  });
});
