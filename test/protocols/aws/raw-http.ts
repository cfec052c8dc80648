/**
 * Raw HTTP requests to the AWS listener, signed with the SDK's own SigV4 signer
 * (@smithy/signature-v4, what @aws-sdk/client-sqs uses), so tests can send bodies and targets
 * the SDK never would, or change a request after signing it.
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { ACCESS_KEY, REGION } from './helpers.js';

class NodeSha256 {
  private readonly h: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret instanceof ArrayBuffer ? new Uint8Array(secret) : new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength)));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(typeof data === 'string' ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

export interface RawAnswer {
  status: number;
  headers: Headers;
  json: any;
  text: string;
}

export async function rawRequest(port: number, opts: {
  target?: string;
  body?: string;
  sign?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Change the body after signing. */
  tamper?: (body: string) => string;
  contentType?: string;
  /** Sign with an x-amz-content-sha256 header (the signer's default) or without one. */
  applyChecksum?: boolean;
}): Promise<RawAnswer> {
  const body = opts.body ?? '{}';
  const headers: Record<string, string> = {
    host: `127.0.0.1:${port}`,
    'content-type': opts.contentType ?? 'application/x-amz-json-1.0',
    ...(opts.target !== undefined ? { 'x-amz-target': opts.target } : {}),
  };
  let sent = headers;
  if (opts.sign !== false) {
    const signer = new SignatureV4({ credentials: opts.credentials ?? ACCESS_KEY, region: REGION, service: 'sqs', sha256: NodeSha256, applyChecksum: opts.applyChecksum ?? true });
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port, path: '/', query: {}, headers, body } as never);
    sent = (signed as unknown as { headers: Record<string, string> }).headers;
  }
  const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: sent, body: opts.tamper ? opts.tamper(body) : body });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined; // the test asserts on text
  }
  return { status: res.status, headers: res.headers, json, text };
}
