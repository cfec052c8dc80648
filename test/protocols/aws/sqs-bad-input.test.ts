/**
 * Bad input to the SQS API: wrong and missing signatures, unknown access keys, unknown actions,
 * malformed JSON, wrong parameter types, oversize bodies, non-HTTP bytes, refused ACLs. Each gets
 * an AWS-shaped error (JSON `__type` + `x-amzn-query-error`), and the broker keeps serving.
 */
import net from 'node:net';
import { CreateQueueCommand, ListQueuesCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../support/test-server.js';
import { ACCESS_KEY, ACCOUNT, rejection, sqsClient, startAwsServer } from './helpers.js';
import { rawRequest } from './raw-http.js';

const BOB = { accessKeyId: 'AKIABOB', secretAccessKey: 'bob-secret', user: 'bob' };

let server: TestServer;
let locked: TestServer;
let sqs: SQSClient;
beforeAll(async () => {
  server = await startAwsServer({ overrides: { limits: { maxMessageBytes: 100_000 } } });
  // Credentials required, and an ACL: alice administers queue "mine", bob nothing.
  locked = await startAwsServer({
    overrides: {
      security: { anonymous: 'never', acl: [{ principal: 'alice', kinds: ['queue'], pattern: 'mine', allow: ['admin'] }] },
      aws: { accessKeys: [ACCESS_KEY, BOB] },
    },
  });
  sqs = sqsClient(server.ports.aws!);
});
afterAll(async () => {
  sqs?.destroy();
  await server?.cleanup();
  await locked?.cleanup();
});

async function stillServes(port: number): Promise<void> {
  const c = sqsClient(port);
  try {
    await c.send(new ListQueuesCommand({}));
  } finally {
    c.destroy();
  }
}

describe('authentication', () => {
  it('a wrong secret is SignatureDoesNotMatch (403), an unknown key InvalidClientTokenId (403)', async () => {
    const wrong = sqsClient(server.ports.aws!, { accessKeyId: ACCESS_KEY.accessKeyId, secretAccessKey: 'not-the-secret' });
    const unknown = sqsClient(server.ports.aws!, { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' });
    try {
      const e1 = await rejection(wrong.send(new ListQueuesCommand({})));
      expect(e1.name).toBe('SignatureDoesNotMatch');
      expect(e1.$metadata?.httpStatusCode).toBe(403);
      const e2 = await rejection(unknown.send(new ListQueuesCommand({})));
      expect(e2.name).toBe('InvalidClientTokenId');
      expect(e2.$metadata?.httpStatusCode).toBe(403);
    } finally {
      wrong.destroy();
      unknown.destroy();
    }
    await stillServes(server.ports.aws!);
  });

  it('a body changed after signing fails the signature check', async () => {
    const r = await rawRequest(server.ports.aws!, {
      target: 'AmazonSQS.CreateQueue', body: '{"QueueName":"signed"}', tamper: () => '{"QueueName":"tampered"}',
    });
    expect(r.status).toBe(403);
    expect(r.headers.get('x-amzn-query-error')).toBe('SignatureDoesNotMatch;Sender');
    expect(r.json.__type).toMatch(/#InvalidSignatureException$/);
    // Signed without x-amz-content-sha256: the body's hash is part of the signature itself.
    const bare = await rawRequest(server.ports.aws!, {
      target: 'AmazonSQS.CreateQueue', body: '{"QueueName":"signed"}', tamper: () => '{"QueueName":"tampered"}', applyChecksum: false,
    });
    expect(bare.status).toBe(403);
    expect(bare.headers.get('x-amzn-query-error')).toBe('SignatureDoesNotMatch;Sender');
    const untouched = await rawRequest(server.ports.aws!, { target: 'AmazonSQS.CreateQueue', body: '{"QueueName":"signed"}', applyChecksum: false });
    expect(untouched.status).toBe(200);
    expect((await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'tampered' }))).QueueUrls).toEqual([]);
  });

  it('an unsigned request is anonymous where anonymous access applies (loopback by default), else MissingAuthenticationToken', async () => {
    const open = await rawRequest(server.ports.aws!, { target: 'AmazonSQS.ListQueues', sign: false });
    expect(open.status).toBe(200);
    const closed = await rawRequest(locked.ports.aws!, { target: 'AmazonSQS.ListQueues', sign: false });
    expect(closed.status).toBe(403);
    expect(closed.headers.get('x-amzn-query-error')).toBe('MissingAuthenticationToken;Sender');
  });

  it('ACLs apply to the access key\'s user: AccessDenied where it has no grant', async () => {
    const alice = sqsClient(locked.ports.aws!);
    const bob = sqsClient(locked.ports.aws!, BOB);
    try {
      const { QueueUrl } = await alice.send(new CreateQueueCommand({ QueueName: 'mine' }));
      await alice.send(new SendMessageCommand({ QueueUrl, MessageBody: 'ok' }));
      expect((await rejection(alice.send(new CreateQueueCommand({ QueueName: 'theirs' })))).name).toBe('AccessDenied');
      const e = await rejection(bob.send(new SendMessageCommand({ QueueUrl, MessageBody: 'no' })));
      expect(e.name).toBe('AccessDenied');
      expect(e.$metadata?.httpStatusCode).toBe(403);
      expect((await bob.send(new ListQueuesCommand({}))).QueueUrls).toEqual([]);
      expect((await alice.send(new ListQueuesCommand({}))).QueueUrls).toEqual([`http://127.0.0.1:${locked.ports.aws}/${ACCOUNT}/mine`]);
    } finally {
      alice.destroy();
      bob.destroy();
    }
  });
});

describe('malformed requests', () => {
  it('an unknown action is UnknownOperationException / InvalidAction', async () => {
    const r = await rawRequest(server.ports.aws!, { target: 'AmazonSQS.Explode' });
    expect(r.status).toBe(400);
    expect(r.json.__type).toBe('com.amazon.coral.service#UnknownOperationException');
    expect(r.headers.get('x-amzn-query-error')).toBe('InvalidAction;Sender');
    const other = await rawRequest(server.ports.aws!, { target: 'DynamoDB_20120810.ListTables' });
    expect(other.status).toBe(400);
    expect(other.json.__type).toMatch(/UnknownOperationException$/);
  });

  it('malformed JSON and a non-object body are SerializationException', async () => {
    for (const body of ['{"QueueName": ', '[1,2]', 'null', '\u0000\u0001']) {
      const r = await rawRequest(server.ports.aws!, { target: 'AmazonSQS.CreateQueue', body });
      expect(r.status, body).toBe(400);
      expect(r.json.__type).toBe('com.amazon.coral.service#SerializationException');
      expect(r.headers.get('x-amzn-query-error')).toBe('MalformedInput;Sender');
    }
  });

  it('errors of the SQS model carry its __type and the query code header', async () => {
    const r = await rawRequest(server.ports.aws!, { target: 'AmazonSQS.GetQueueUrl', body: '{"QueueName":"nope"}' });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: expect.any(String) });
    expect(r.headers.get('x-amzn-query-error')).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
    expect(r.headers.get('content-type')).toBe('application/x-amz-json-1.0');
  });

  it('parameters of the wrong type or missing are InvalidParameterValue / MissingParameter', async () => {
    await sqs.send(new CreateQueueCommand({ QueueName: 'typed' }));
    const url = `http://127.0.0.1:${server.ports.aws}/${ACCOUNT}/typed`;
    const wrongType = await rawRequest(server.ports.aws!, { target: 'AmazonSQS.ReceiveMessage', body: JSON.stringify({ QueueUrl: url, MaxNumberOfMessages: 'ten' }) });
    expect(wrongType.headers.get('x-amzn-query-error')).toBe('InvalidParameterValue;Sender');
    const missing = await rawRequest(server.ports.aws!, { target: 'AmazonSQS.SendMessage', body: JSON.stringify({ QueueUrl: url }) });
    expect(missing.headers.get('x-amzn-query-error')).toBe('MissingParameter;Sender');
    const attrs = await rawRequest(server.ports.aws!, { target: 'AmazonSQS.SendMessage', body: JSON.stringify({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { a: 'b' } }) });
    expect(attrs.headers.get('x-amzn-query-error')).toBe('InvalidParameterValue;Sender');
    const batch = await rawRequest(server.ports.aws!, { target: 'AmazonSQS.SendMessageBatch', body: JSON.stringify({ QueueUrl: url, Entries: [{ Id: 'bad id!', MessageBody: 'x' }] }) });
    expect(batch.headers.get('x-amzn-query-error')).toBe('AWS.SimpleQueueService.InvalidBatchEntryId;Sender');
  });

  it('a body over the request limit is refused with 413 and the connection stays usable for others', async () => {
    const r = await rawRequest(server.ports.aws!, { target: 'AmazonSQS.SendMessage', body: JSON.stringify({ QueueUrl: 'x', MessageBody: 'y'.repeat(300 * 1024) }), sign: false });
    expect(r.status).toBe(413);
    expect(r.json.__type).toMatch(/RequestEntityTooLarge$/);
    await stillServes(server.ports.aws!);
  });

  it('bytes that are not HTTP get a 400 and a closed connection; the broker carries on', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const s = net.connect(server.ports.aws!, '127.0.0.1', () => s.write('\u0016\u0003\u0001 not http at all\r\n\r\n'));
      let got = '';
      s.on('data', (d) => { got += d.toString('latin1'); });
      s.on('close', () => resolve(got));
      s.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    await stillServes(server.ports.aws!);
  });
});
