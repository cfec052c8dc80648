/**
 * SQS meets the other front-ends in the same core queues: an SDK SendMessage is consumed by a
 * STOMP client (stompit) on /queue/NAME, and a STOMP SEND is received by the SDK, with
 * attributes and headers mapped both ways (docs/protocol-mapping.md, SQS section).
 */
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import stompit from 'stompit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stompProtocol } from '../../../protocols/stomp/stomp-module.js';
import { awsProtocol } from '../../../protocols/aws/aws-module.js';
import type { TestServer } from '../../support/test-server.js';
import { sqsClient, startAwsServer } from './helpers.js';

let server: TestServer;
let sqs: SQSClient;
let stomp: stompit.Client;
beforeAll(async () => {
  server = await startAwsServer({ protocols: [awsProtocol, stompProtocol] });
  sqs = sqsClient(server.ports.aws!);
  stomp = await new Promise<stompit.Client>((resolve, reject) => {
    stompit.connect({ host: '127.0.0.1', port: server.ports.stomp!, connectHeaders: { host: '/', 'accept-version': '1.2' } }, (err, c) => {
      if (err) return reject(err);
      c.on('error', () => undefined); // the broker shutting down after the tests is not their subject
      resolve(c);
    });
  });
});
afterAll(async () => {
  stomp?.disconnect();
  sqs?.destroy();
  await server?.cleanup();
});

function nextStompMessage(destination: string): Promise<{ headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const sub = stomp.subscribe({ destination, ack: 'client-individual' }, (err, msg) => {
      if (err) return reject(err);
      msg.readString('utf-8', (readErr, body) => {
        if (readErr) return reject(readErr);
        stomp.ack(msg);
        sub.unsubscribe();
        resolve({ headers: (msg as unknown as { headers: Record<string, string> }).headers, body: body ?? '' });
      });
    });
  });
}

describe('SQS ↔ STOMP', () => {
  it('an SDK SendMessage is consumed by a STOMP subscriber on /queue/NAME with its attributes as headers', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'to-stomp' }));
    const sent = await sqs.send(new SendMessageCommand({
      QueueUrl, MessageBody: 'from the SDK',
      MessageAttributes: { region: { DataType: 'String', StringValue: 'eu' }, qty: { DataType: 'Number', StringValue: '3.50' } },
    }));
    const got = await nextStompMessage('/queue/to-stomp');
    expect(got.body).toBe('from the SDK');
    expect(got.headers).toMatchObject({ region: 'eu', qty: '3.50', 'message-id': sent.MessageId, 'user-id': 'alice' });
  });

  it('a STOMP SEND is received by the SDK with its headers as String attributes', async () => {
    await sqs.send(new CreateQueueCommand({ QueueName: 'from-stomp' }));
    await new Promise<void>((resolve, reject) => {
      const frame = stomp.send({ destination: '/queue/from-stomp', 'x-order': '17', receipt: 'r1', 'content-type': 'text/plain' }, { onReceipt: () => resolve(), onError: (e: Error) => reject(e) });
      frame.on('error', reject);
      frame.end('from STOMP');
    });
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: `http://127.0.0.1:${server.ports.aws}/123456789012/from-stomp`, MessageAttributeNames: ['All'], WaitTimeSeconds: 2 }));
    const m = r.Messages![0]!;
    expect(m.Body).toBe('from STOMP');
    expect(m.MessageAttributes?.['x-order']).toEqual({ DataType: 'String', StringValue: '17' });
  });
});
