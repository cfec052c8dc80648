/**
 * AWS Signature Version 4 verification (header form `Authorization: AWS4-HMAC-SHA256 ...` and
 * query form `X-Amz-Algorithm=AWS4-HMAC-SHA256&...`), shared by every AWS API front-end.
 *
 * The canonical request is rebuilt from the request as received: the raw path (URI-encoded once
 * more, as AWS does for every service but S3), the query parameters sorted and re-encoded, the
 * signed headers (lower-case names, values trimmed with inner whitespace runs collapsed), and the
 * SHA-256 of the body as received (an `x-amz-content-sha256` header must equal it: a client's
 * claim about the body is never trusted, and UNSIGNED-PAYLOAD is refused). The signing key is
 * derived from the secret for the credential scope's date, region and service, so a client may
 * sign for any region. Signatures older or newer than 15 minutes are refused (AWS's window).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { AwsError, COMMON_ERRORS } from './errors.js';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_SKEW_MS = 15 * 60_000;

export interface SignedRequest {
  method: string;
  /** Path and query exactly as received (`req.url`). */
  url: string;
  /** Node's lower-case header map. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface SignatureParts {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  /** Where the signature came from: the Authorization header or the query string. */
  form: 'header' | 'query';
}

export interface VerifiedSignature {
  accessKeyId: string;
  region: string;
  service: string;
}

/** RFC 3986 percent-encoding (what AWS calls UriEncode): unreserved characters stay. */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function header(headers: SignedRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

function decodeComponent(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, '%20'));
  } catch {
    return s;
  }
}

/** Query parameters as decoded pairs, in order. */
export function parseQuery(query: string): Array<[string, string]> {
  if (query === '') return [];
  return query.split('&').filter((p) => p !== '').map((p) => {
    const eq = p.indexOf('=');
    return eq < 0 ? [decodeComponent(p), ''] : [decodeComponent(p.slice(0, eq)), decodeComponent(p.slice(eq + 1))];
  });
}

/** Whether the request carries a SigV4 signature at all (header or query form). */
export function isSigned(req: SignedRequest): boolean {
  return header(req.headers, 'authorization') !== undefined || /(?:^|[?&])X-Amz-Algorithm=/.test(req.url);
}

function incomplete(message: string): AwsError {
  return new AwsError(COMMON_ERRORS.incompleteSignature, message);
}

function parseCredential(credential: string): { accessKeyId: string; date: string; region: string; service: string } {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || parts.some((p) => p === '')) {
    throw incomplete(`Credential must have the form <access key>/<date>/<region>/<service>/aws4_request, got "${credential}"`);
  }
  return { accessKeyId: parts[0]!, date: parts[1]!, region: parts[2]!, service: parts[3]! };
}

/** The signature's parts, from the Authorization header or the query string. Throws IncompleteSignature. */
export function parseSignature(req: SignedRequest): SignatureParts {
  const auth = header(req.headers, 'authorization');
  if (auth !== undefined) {
    const space = auth.indexOf(' ');
    const algorithm = space < 0 ? auth : auth.slice(0, space);
    if (algorithm !== SIGV4_ALGORITHM) throw incomplete(`Unsupported authorization algorithm "${algorithm}" (only ${SIGV4_ALGORITHM})`);
    const fields = new Map<string, string>();
    for (const part of auth.slice(space + 1).split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    const credential = fields.get('Credential');
    const signedHeaders = fields.get('SignedHeaders');
    const signature = fields.get('Signature');
    if (!credential || !signedHeaders || !signature) throw incomplete('Authorization header requires Credential, SignedHeaders and Signature');
    const amzDate = header(req.headers, 'x-amz-date') ?? '';
    if (amzDate === '') throw incomplete('Authorization header requires the X-Amz-Date header');
    return { ...parseCredential(credential), signedHeaders: signedHeaders.split(';'), signature, amzDate, form: 'header' };
  }
  const params = new Map(parseQuery(splitUrl(req.url).query));
  const algorithm = params.get('X-Amz-Algorithm');
  if (algorithm !== SIGV4_ALGORITHM) throw incomplete(`Unsupported X-Amz-Algorithm "${algorithm ?? ''}" (only ${SIGV4_ALGORITHM})`);
  const credential = params.get('X-Amz-Credential');
  const signedHeaders = params.get('X-Amz-SignedHeaders');
  const signature = params.get('X-Amz-Signature');
  const amzDate = params.get('X-Amz-Date');
  if (!credential || !signedHeaders || !signature || !amzDate) {
    throw incomplete('query authentication requires X-Amz-Credential, X-Amz-Date, X-Amz-SignedHeaders and X-Amz-Signature');
  }
  return { ...parseCredential(credential), signedHeaders: signedHeaders.split(';'), signature, amzDate, form: 'query' };
}

function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const s of path.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') segments.pop();
    else segments.push(s);
  }
  const normalized = `/${segments.join('/')}${path.endsWith('/') && segments.length > 0 ? '/' : ''}`;
  return uriEncode(normalized).replace(/%2F/g, '/');
}

function canonicalQuery(query: string, form: SignatureParts['form']): string {
  return parseQuery(query)
    .filter(([k]) => !(form === 'query' && k === 'X-Amz-Signature'))
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** The canonical request (AWS's step 1), exported for tests and debugging. */
export function canonicalRequest(req: SignedRequest, parts: SignatureParts): string {
  const { path, query } = splitUrl(req.url);
  const headerLines = parts.signedHeaders.map((name) => {
    const value = header(req.headers, name) ?? '';
    return `${name}:${value.trim().replace(/\s+/g, ' ')}\n`;
  }).join('');
  // The hash of the body as received, never a client's claim about it (verifySignature refuses a mismatching x-amz-content-sha256).
  const payloadHash = sha256Hex(req.body);
  return [req.method, canonicalPath(path), canonicalQuery(query, parts.form), headerLines, parts.signedHeaders.join(';'), payloadHash].join('\n');
}

/** The signature a client holding `secret` computes for this request. */
export function expectedSignature(req: SignedRequest, parts: SignatureParts, secret: string): string {
  const scope = `${parts.date}/${parts.region}/${parts.service}/aws4_request`;
  const stringToSign = [SIGV4_ALGORITHM, parts.amzDate, scope, sha256Hex(canonicalRequest(req, parts))].join('\n');
  const kDate = hmac(`AWS4${secret}`, parts.date);
  const kRegion = hmac(kDate, parts.region);
  const kService = hmac(kRegion, parts.service);
  const kSigning = hmac(kService, 'aws4_request');
  return createHmac('sha256', kSigning).update(stringToSign).digest('hex');
}

/** `20261202T180000Z` → ms since the epoch, or NaN. */
function parseAmzDate(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/**
 * Verify a signed request. `secretFor` answers the secret of an access key (undefined: unknown
 * key → InvalidClientTokenId). A wrong signature, or a date outside the 15-minute window, is
 * SignatureDoesNotMatch; a malformed one IncompleteSignature.
 */
export function verifySignature(req: SignedRequest, secretFor: (accessKeyId: string) => string | undefined, now: number = Date.now()): VerifiedSignature {
  const parts = parseSignature(req);
  const secret = secretFor(parts.accessKeyId);
  if (secret === undefined) {
    throw new AwsError(COMMON_ERRORS.invalidClientTokenId, 'The security token included in the request is invalid.');
  }
  if (!parts.signedHeaders.includes('host')) throw incomplete('SignedHeaders must include host');
  const at = parseAmzDate(parts.amzDate);
  if (Number.isNaN(at) || !parts.amzDate.startsWith(parts.date)) {
    throw incomplete(`X-Amz-Date "${parts.amzDate}" must be an ISO 8601 basic timestamp on the credential scope's date ${parts.date}`);
  }
  if (Math.abs(now - at) > MAX_SKEW_MS) {
    throw new AwsError(COMMON_ERRORS.signatureDoesNotMatch, `Signature expired: ${parts.amzDate} is not within 15 minutes of the server time ${new Date(now).toISOString()}.`);
  }
  const claimed = header(req.headers, 'x-amz-content-sha256');
  if (claimed !== undefined && claimed !== sha256Hex(req.body)) {
    throw new AwsError(COMMON_ERRORS.signatureDoesNotMatch, 'The x-amz-content-sha256 header does not match the request body (unsigned payloads are not accepted).');
  }
  const expected = Buffer.from(expectedSignature(req, parts, secret));
  const given = Buffer.from(parts.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new AwsError(
      COMMON_ERRORS.signatureDoesNotMatch,
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
  }
  return { accessKeyId: parts.accessKeyId, region: parts.region, service: parts.service };
}
