/**
 * SigV4 verification against AWS's published example (the `get-vanilla` case of the Signature
 * Version 4 test suite) and the signer of the official SDK, plus the error table of SQS.
 */
import { describe, expect, it } from 'vitest';
import { BrokerError, ErrorCodes, type ErrorCode } from '../../../src/core/errors.js';
import { AwsError } from '../../../protocols/aws/errors.js';
import { expectedSignature, parseSignature, verifySignature, type SignedRequest } from '../../../protocols/aws/sigv4.js';
import { SQS_ERROR_FOR_CODE, toSqsError } from '../../../protocols/aws/sqs/sqs-errors.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const VANILLA: SignedRequest = {
  method: 'GET',
  url: '/',
  headers: {
    host: 'example.amazonaws.com',
    'x-amz-date': '20150830T123600Z',
    authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  },
  body: Buffer.alloc(0),
};
const AT = Date.UTC(2015, 7, 30, 12, 36, 0);

describe('SigV4', () => {
  it('computes the signature of AWS\'s get-vanilla example', () => {
    const parts = parseSignature(VANILLA);
    expect(parts).toMatchObject({ accessKeyId: 'AKIDEXAMPLE', date: '20150830', region: 'us-east-1', service: 'service', signedHeaders: ['host', 'x-amz-date'] });
    expect(expectedSignature(VANILLA, parts, SECRET)).toBe('5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31');
    expect(verifySignature(VANILLA, (id) => (id === 'AKIDEXAMPLE' ? SECRET : undefined), AT)).toEqual({ accessKeyId: 'AKIDEXAMPLE', region: 'us-east-1', service: 'service' });
  });

  it('refuses a wrong secret, an unknown key, a changed signed header, an old date and a malformed header', () => {
    const code = (fn: () => unknown): string => {
      try {
        fn();
      } catch (err) {
        return (err as AwsError).queryCode;
      }
      return 'accepted';
    };
    expect(code(() => verifySignature(VANILLA, () => 'other', AT))).toBe('SignatureDoesNotMatch');
    expect(code(() => verifySignature(VANILLA, () => undefined, AT))).toBe('InvalidClientTokenId');
    expect(code(() => verifySignature({ ...VANILLA, headers: { ...VANILLA.headers, host: 'evil.example.com' } }, () => SECRET, AT))).toBe('SignatureDoesNotMatch');
    expect(code(() => verifySignature(VANILLA, () => SECRET, AT + 16 * 60_000))).toBe('SignatureDoesNotMatch');
    expect(code(() => verifySignature({ ...VANILLA, headers: { ...VANILLA.headers, authorization: 'AWS4-HMAC-SHA256 Credential=x' } }, () => SECRET, AT))).toBe('IncompleteSignature');
    expect(code(() => verifySignature({ ...VANILLA, headers: { ...VANILLA.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, () => SECRET, AT))).toBe('SignatureDoesNotMatch');
  });
});

describe('SQS error table', () => {
  it('maps every core ErrorCode', () => {
    const codes = Object.keys(ErrorCodes) as ErrorCode[];
    expect(Object.keys(SQS_ERROR_FOR_CODE).sort()).toEqual([...codes].sort());
    for (const c of codes) {
      const e = toSqsError(new BrokerError(c, 'detail'));
      expect(e.code).toBe(SQS_ERROR_FOR_CODE[c].code);
      expect(e.status).toBeGreaterThanOrEqual(400);
    }
    expect(toSqsError(new BrokerError('NOT_FOUND')).queryCode).toBe('AWS.SimpleQueueService.NonExistentQueue');
    expect(toSqsError(new Error('boom'))).toMatchObject({ code: 'InternalFailure', status: 500, fault: 'Receiver' });
  });
});
