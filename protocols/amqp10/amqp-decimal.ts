/**
 * AMQP 1.0 decimal32 / decimal64 / decimal128 ↔ the core's exact decimal text.
 *
 * AMQP defines these as IEEE 754-2008 decimals; the encoding read and written here is the binary
 * integer decimal (BID) one (the coefficient as a binary integer), as .NET AMQP clients write
 * them. Every finite value converts to text exactly (`12.50`, `1E+7` style exponents only where a
 * plain form would be long); NaN and ±Infinity become `NaN`, `Infinity`, `-Infinity`.
 * Outbound, a core decimal is written as decimal128 when its coefficient fits 34 digits and its
 * exponent the decimal128 range, so a decimal32 or decimal64 comes back as the equal decimal128.
 */

interface Format {
  bits: bigint;
  expBits: bigint;
  bias: number;
  maxCoefficient: bigint;
}

const FORMATS: Record<4 | 8 | 16, Format> = {
  4: { bits: 32n, expBits: 8n, bias: 101, maxCoefficient: 10n ** 7n - 1n },
  8: { bits: 64n, expBits: 10n, bias: 398, maxCoefficient: 10n ** 16n - 1n },
  16: { bits: 128n, expBits: 14n, bias: 6176, maxCoefficient: 10n ** 34n - 1n },
};

function readUnsigned(bytes: Buffer): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** Exact text of a coefficient × 10^exponent. */
function decimalText(negative: boolean, coefficient: bigint, exponent: number): string {
  const digits = coefficient.toString();
  let body: string;
  if (exponent === 0) body = digits;
  else if (exponent < 0 && digits.length > -exponent) body = `${digits.slice(0, digits.length + exponent)}.${digits.slice(digits.length + exponent)}`;
  else if (exponent < 0 && -exponent - digits.length <= 6) body = `0.${'0'.repeat(-exponent - digits.length)}${digits}`;
  else body = `${digits}E${exponent > 0 ? '+' : ''}${exponent}`;
  return negative ? `-${body}` : body;
}

/** The text of an encoded decimal of 4, 8 or 16 bytes. */
export function decodeDecimal(bytes: Buffer): string {
  const f = FORMATS[bytes.length as 4 | 8 | 16];
  if (f === undefined) throw new RangeError(`a decimal has 4, 8 or 16 bytes, not ${bytes.length}`);
  const v = readUnsigned(bytes);
  const negative = (v >> (f.bits - 1n)) === 1n;
  const top5 = (v >> (f.bits - 6n)) & 0x1fn;
  if (top5 === 0x1fn) return 'NaN';
  if (top5 === 0x1en) return negative ? '-Infinity' : 'Infinity';
  const coefficientBits = f.bits - 1n - f.expBits;
  const expMask = (1n << f.expBits) - 1n;
  let exponent: bigint;
  let coefficient: bigint;
  if (((v >> (f.bits - 3n)) & 3n) === 3n) {
    // the coefficient's leading bits are an implicit 100
    exponent = (v >> (coefficientBits - 2n)) & expMask;
    coefficient = (4n << (coefficientBits - 2n)) | (v & ((1n << (coefficientBits - 2n)) - 1n));
  } else {
    exponent = (v >> coefficientBits) & expMask;
    coefficient = v & ((1n << coefficientBits) - 1n);
  }
  if (coefficient > f.maxCoefficient) coefficient = 0n; // non-canonical: IEEE 754 reads it as zero
  return decimalText(negative, coefficient, Number(exponent) - f.bias);
}

const TEXT = /^([+-])?([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/;

/** The decimal128 encoding of a core decimal text, or undefined when it does not fit exactly. */
export function encodeDecimal128(text: string): Buffer | undefined {
  const out = Buffer.alloc(16);
  if (text === 'NaN') {
    out[0] = 0x7c;
    return out;
  }
  if (text === 'Infinity' || text === '-Infinity') {
    out[0] = text === 'Infinity' ? 0x78 : 0xf8;
    return out;
  }
  const m = TEXT.exec(text);
  if (m === null || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const f = FORMATS[16];
  const fraction = m[3] ?? '';
  let coefficient = BigInt(`${m[2]}${fraction}` || '0');
  const exp = Number(m[4] ?? '0') - fraction.length;
  if (!Number.isSafeInteger(exp)) return undefined;
  let exponent = exp;
  while (coefficient > f.maxCoefficient && coefficient % 10n === 0n) {
    coefficient /= 10n;
    exponent += 1;
  }
  while (exponent + f.bias > 12287 && coefficient !== 0n && coefficient * 10n <= f.maxCoefficient) {
    coefficient *= 10n;
    exponent -= 1;
  }
  while (exponent + f.bias < 0 && coefficient % 10n === 0n && coefficient !== 0n) {
    coefficient /= 10n;
    exponent += 1;
  }
  if (coefficient === 0n) exponent = Math.min(Math.max(exponent, -f.bias), 12287 - f.bias);
  if (coefficient > f.maxCoefficient || exponent + f.bias < 0 || exponent + f.bias > 12287) return undefined;
  const v = ((m[1] === '-' ? 1n : 0n) << 127n) | (BigInt(exponent + f.bias) << 113n) | coefficient;
  out.writeBigUInt64BE(v >> 64n, 0);
  out.writeBigUInt64BE(v & 0xffff_ffff_ffff_ffffn, 8);
  return out;
}
