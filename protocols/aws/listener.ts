/**
 * Where the AWS-compatible HTTP APIs (SQS now; SNS and Kinesis to come) are served: their own
 * port pair, 9324 (ElasticMQ's and the SQS emulators' usual port) and TLS 9325. HTTP only: no
 * WebSocket subprotocols. Light on purpose: configuration loading reads it.
 */
import type { ListenerFamily, ProtocolListener } from '../../src/server/listener-family.js';
import type { ProtocolFactory } from '../../src/server/protocol-module.js';

export const AWS_FAMILY = {
  name: 'aws', tlsName: 'awss', title: 'AWS APIs (SQS)', port: 9324, tlsPort: 9325, dispatch: 'single',
} as const satisfies ListenerFamily;

export const awsListener = {
  protocol: 'aws',
  family: AWS_FAMILY,
  wsSubprotocols: [],
  load: async (): Promise<ProtocolFactory> => (await import('./aws-module.js')).awsProtocol,
} as const satisfies ProtocolListener;
