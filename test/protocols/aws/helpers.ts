/**
 * Helpers for the AWS API black-box tests: a real broker (in-process BrokerServer, real
 * listeners and store) with SigV4 access keys configured, and official AWS SDK v3 clients
 * pointed at its `aws` port with static credentials.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Config, DeepPartial } from '../../../src/config/schema.js';
import type { ProtocolFactory } from '../../../src/server/protocol-module.js';
import { awsProtocol } from '../../../protocols/aws/aws-module.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';

export const ACCESS_KEY = { accessKeyId: 'AKIAINTERCHANGETEST', secretAccessKey: 'test-secret-key', user: 'alice' };
export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';

export async function startAwsServer(opts: { overrides?: DeepPartial<Config>; protocols?: ProtocolFactory[]; dataDir?: string } = {}): Promise<TestServer> {
  return startTestServer({
    protocols: opts.protocols ?? [awsProtocol],
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    overrides: {
      ...opts.overrides,
      aws: { region: REGION, accountId: ACCOUNT, accessKeys: [ACCESS_KEY], ...opts.overrides?.aws },
    },
  });
}

export function sqsClient(port: number, credentials: { accessKeyId: string; secretAccessKey: string } = ACCESS_KEY): SQSClient {
  return new SQSClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: REGION,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    maxAttempts: 1,
  });
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error & { name: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { name: string };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
