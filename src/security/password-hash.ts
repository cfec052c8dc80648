/**
 * Password hashes for security.users: scrypt from node:crypto, self-describing encoding
 *   scrypt$N$r$p$saltB64$hashB64
 * (default N=16384, r=8, p=1, 16-byte random salt, 32-byte key: about 50 ms and 16 MiB per hash).
 * The parameters travel with the hash, so a cheaper or costlier hash verifies without code changes.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ N: 16_384, r: 8, p: 1 });
export const SALT_BYTES = 16;
export const KEY_BYTES = 32;

// Bounds on what a stored hash may ask for: a hostile or mistyped hash must not make one
// login allocate gigabytes (memory is 128 * N * r * p bytes).
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;
const MAX_MEMORY = 256 * 1024 * 1024;
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface ParsedHash extends ScryptParams {
  salt: Buffer;
  hash: Buffer;
}

function scryptAsync(password: string, salt: Buffer, keylen: number, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 128 * params.N * params.r * params.p + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function checkParams(params: ScryptParams): string | undefined {
  const { N, r, p } = params;
  if (!Number.isInteger(N) || N < 2 || N > MAX_N || (N & (N - 1)) !== 0) return `N must be a power of two 2..${MAX_N}, got ${N}`;
  if (!Number.isInteger(r) || r < 1 || r > MAX_R) return `r must be an integer 1..${MAX_R}, got ${r}`;
  if (!Number.isInteger(p) || p < 1 || p > MAX_P) return `p must be an integer 1..${MAX_P}, got ${p}`;
  if (128 * N * r * p > MAX_MEMORY) return `N*r*p needs more than ${MAX_MEMORY / 1024 / 1024} MiB`;
  return undefined;
}

/**
 * Hash a password for security.users[].passwordHash. `params` lowers or raises the cost
 * (tests use a low N to stay fast; production uses the default).
 */
export async function hashPassword(password: string, params: Partial<ScryptParams> = {}): Promise<string> {
  const full: ScryptParams = { ...DEFAULT_SCRYPT_PARAMS, ...params };
  const problem = checkParams(full);
  if (problem) throw new RangeError(`hashPassword: ${problem}`);
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptAsync(password, salt, KEY_BYTES, full);
  return ['scrypt', full.N, full.r, full.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/**
 * Parse an encoded hash. Returns the parts, or a string saying what is wrong (never echoing
 * the input, which may be a plaintext password pasted by mistake).
 */
export function parsePasswordHash(encoded: string): ParsedHash | string {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return 'expected the form scrypt$N$r$p$salt$hash';
  const [, nS, rS, pS, saltS, hashS] = parts as [string, string, string, string, string, string];
  if (![nS, rS, pS].every((s) => /^\d{1,8}$/.test(s))) return 'N, r and p must be integers';
  const params: ScryptParams = { N: Number(nS), r: Number(rS), p: Number(pS) };
  const problem = checkParams(params);
  if (problem) return problem;
  if (!B64.test(saltS) || !B64.test(hashS)) return 'salt and hash must be base64';
  const salt = Buffer.from(saltS, 'base64');
  const hash = Buffer.from(hashS, 'base64');
  if (salt.length < 8) return 'salt must be at least 8 bytes';
  if (hash.length < 16 || hash.length > 128) return 'hash must be 16..128 bytes';
  return { ...params, salt, hash };
}

/**
 * Check a password against an encoded hash in constant time (for a given hash). A malformed hash
 * verifies nothing and returns false; loadConfig rejects malformed hashes up front.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parsePasswordHash(encoded);
  if (typeof parsed === 'string') return false;
  const derived = await scryptAsync(password, parsed.salt, parsed.hash.length, parsed);
  return timingSafeEqual(derived, parsed.hash);
}
