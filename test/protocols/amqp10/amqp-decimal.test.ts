import { describe, expect, it } from 'vitest';
import { decodeDecimal, encodeDecimal128 } from '../../../protocols/amqp10/amqp-decimal.js';

const hex = (h: string) => Buffer.from(h, 'hex');

describe('AMQP decimals (BID) ↔ exact text', () => {
  it.each([
    ['decimal32 1', '32800001', '1'],
    ['decimal32 -7.5', 'b280004b'.replace('b280004b', (0xb2800000 - (1 << 23) + 75).toString(16)), '-7.5'],
    ['decimal64 1', '31c0000000000001', '1'],
    ['decimal64 0.001', (398n - 3n << 53n | 1n).toString(16).padStart(16, '0'), '0.001'],
    ['decimal64 combination form 9999999999999999E+2',
      ((3n << 61n) | (400n << 51n) | (9999999999999999n - 2n ** 53n)).toString(16).padStart(16, '0'), '9999999999999999E+2'],
    ['decimal128 1', '30400000000000000000000000000001', '1'],
    ['decimal128 12.50', '303c00000000000000000000000004e2', '12.50'],
    ['decimal128 1E-40', ((6176n - 40n) << 113n | 1n).toString(16).padStart(32, '0'), '1E-40'],
    ['decimal128 NaN', '7c000000000000000000000000000000', 'NaN'],
    ['decimal128 -Infinity', 'f8000000000000000000000000000000', '-Infinity'],
    ['decimal64 non-canonical coefficient reads as zero', ((3n << 61n) | (398n << 51n) | (2n ** 51n - 1n)).toString(16), '0'],
  ])('%s', (_label, h, text) => {
    expect(decodeDecimal(hex(h))).toBe(text);
  });

  it('encodes text as decimal128 and back, exactly', () => {
    for (const text of ['1', '12.50', '-0.000001', '1E-40', '9999999999999999999999999999999999', '-12345678901234567890.000001', 'NaN', 'Infinity', '-Infinity', '0']) {
      const bytes = encodeDecimal128(text);
      expect(bytes, text).toBeDefined();
      expect(decodeDecimal(bytes!), text).toBe(text);
    }
    expect(encodeDecimal128('12.50')!.toString('hex')).toBe('303c00000000000000000000000004e2');
    expect(decodeDecimal(encodeDecimal128('1.5E+3')!)).toBe('15E+2');
    expect(decodeDecimal(encodeDecimal128('1000E+6112')!)).toBe('10000E+6111'); // exponent above the range: coefficient padded
  });

  it('refuses what decimal128 cannot hold exactly', () => {
    expect(encodeDecimal128('12345678901234567890123456789012345')).toBeUndefined(); // 35 digits
    expect(encodeDecimal128('1E+7000')).toBeUndefined();
    expect(encodeDecimal128('1E-7000')).toBeUndefined();
    expect(encodeDecimal128('abc')).toBeUndefined();
  });
});
