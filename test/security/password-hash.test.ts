import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT_PARAMS, hashPassword, parsePasswordHash, verifyPassword } from '../../src/security/password-hash.js';

const FAST = { N: 1024 };

describe('password hashes', () => {
  it('default hash has the documented format and parameters and verifies', async () => {
    const encoded = await hashPassword('correct horse');
    const parts = encoded.split('$');
    expect(parts.slice(0, 4)).toEqual(['scrypt', '16384', '8', '1']);
    expect(Buffer.from(parts[4]!, 'base64')).toHaveLength(16);
    expect(Buffer.from(parts[5]!, 'base64')).toHaveLength(32);
    expect(DEFAULT_SCRYPT_PARAMS).toEqual({ N: 16384, r: 8, p: 1 });
    expect(await verifyPassword('correct horse', encoded)).toBe(true);
    expect(await verifyPassword('correct horse ', encoded)).toBe(false);
  });

  it('round trip with low cost; wrong password fails', async () => {
    const encoded = await hashPassword('s3cret', FAST);
    expect(encoded).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(await verifyPassword('s3cret', encoded)).toBe(true);
    expect(await verifyPassword('S3cret', encoded)).toBe(false);
    expect(await verifyPassword('', encoded)).toBe(false);
  });

  it('salts: the same password hashes differently each time', async () => {
    const [a, b] = await Promise.all([hashPassword('x', FAST), hashPassword('x', FAST)]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('x', a)).toBe(true);
    expect(await verifyPassword('x', b)).toBe(true);
  });

  it('unicode passwords are normalised (NFC) so composed and decomposed forms match', async () => {
    const encoded = await hashPassword('caf\u00e9', FAST);
    expect(await verifyPassword('cafe\u0301', encoded)).toBe(true);
  });

  it('a tampered hash does not verify', async () => {
    const encoded = await hashPassword('pw', FAST);
    const parts = encoded.split('$');
    const hash = Buffer.from(parts[5]!, 'base64');
    hash[0] = hash[0]! ^ 1;
    parts[5] = hash.toString('base64');
    expect(await verifyPassword('pw', parts.join('$'))).toBe(false);
  });

  it.each([
    ['', 'expected the form'],
    ['plaintext-password', 'expected the form'],
    ['bcrypt$10$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==', 'expected the form'],
    ['scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==', 'N must be a power of two'],
    ['scrypt$4194304$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==', 'N must be a power of two'],
    ['scrypt$1024$0$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==', 'r must be'],
    ['scrypt$1024$8$99$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==', 'p must be'],
    ['scrypt$1024$8$x$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==', 'integers'],
    ['scrypt$1048576$32$16$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==', 'MiB'],
    ['scrypt$1024$8$1$not*base64$AAAAAAAAAAAAAAAAAAAAAA==', 'base64'],
    ['scrypt$1024$8$1$AAAA$AAAAAAAAAAAAAAAAAAAAAA==', 'salt must be at least 8 bytes'],
    ['scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA', 'hash must be 16..128 bytes'],
  ])('malformed %j: parse explains, verify returns false', async (encoded, why) => {
    const parsed = parsePasswordHash(encoded);
    expect(typeof parsed).toBe('string');
    expect(parsed).toContain(why);
    expect(await verifyPassword('anything', encoded)).toBe(false);
  });

  it('hashPassword rejects unsafe parameters', async () => {
    await expect(hashPassword('x', { N: 1000 })).rejects.toThrow(RangeError);
    await expect(hashPassword('x', { r: 0 })).rejects.toThrow(/r must be/);
  });
});
