/**
 * The AWS listener over TLS (`awss`, default 9325): the SDK with a verified self-signed
 * certificate, queue URLs in https.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import selfsigned from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../support/test-server.js';
import { ACCESS_KEY, ACCOUNT, REGION, startAwsServer } from './helpers.js';

let server: TestServer;
let certDir: string;
let sqs: SQSClient;
beforeAll(async () => {
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  });
  certDir = mkdtempSync(join(tmpdir(), 'interchange-aws-tls-'));
  writeFileSync(join(certDir, 'cert.pem'), pems.cert);
  writeFileSync(join(certDir, 'key.pem'), pems.private);
  server = await startAwsServer({ overrides: { tls: { cert: join(certDir, 'cert.pem'), key: join(certDir, 'key.pem') } } });
  sqs = new SQSClient({
    endpoint: `https://localhost:${server.ports.awss}`,
    region: REGION,
    credentials: ACCESS_KEY,
    maxAttempts: 1,
    requestHandler: { httpsAgent: new https.Agent({ ca: pems.cert }) },
  });
});
afterAll(async () => {
  sqs?.destroy();
  await server?.cleanup();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

describe('SQS over TLS', () => {
  it('serves the SDK over HTTPS on the awss port', async () => {
    expect(server.ports.awss).toBeGreaterThan(0);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'secure' }));
    expect(QueueUrl).toBe(`https://localhost:${server.ports.awss}/${ACCOUNT}/secure`);
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'over tls' }));
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages?.[0]?.Body).toBe('over tls');
  });
});
