/** /api/streams: create, inspect, delete; put records, iterators and reads, split and merge shards. */
import type { Broker } from '../../core/broker.js';
import { BrokerError } from '../../core/errors.js';
import type { StartPosition } from '../../core/stream/iterators.js';
import type { HttpRouter } from '../http-router.js';
import { messageToJson, parseMessageInput } from '../message-json.js';
import { bodyObject, optionalInt, requiredString } from './route-input.js';

function parsePosition(o: Record<string, unknown>): StartPosition {
  const type = requiredString(o, 'type');
  switch (type) {
    case 'TRIM_HORIZON':
    case 'LATEST':
      return { type };
    case 'AT_SEQUENCE_NUMBER':
    case 'AFTER_SEQUENCE_NUMBER': {
      const raw = o.sequenceNumber;
      const seq = typeof raw === 'string' ? Number(raw) : raw;
      if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
        throw new BrokerError('INVALID_ARGUMENT', `sequenceNumber is required for ${type} (a non-negative integer or its decimal string)`);
      }
      return { type, seq };
    }
    case 'AT_TIMESTAMP': {
      const ts = o.timestamp;
      if (typeof ts !== 'number' || !Number.isFinite(ts)) throw new BrokerError('INVALID_ARGUMENT', 'timestamp (ms since the epoch) is required for AT_TIMESTAMP');
      return { type, timestamp: ts };
    }
    default:
      throw new BrokerError('INVALID_ARGUMENT', `type must be TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER or AT_TIMESTAMP, got "${type}"`);
  }
}

export function registerStreamRoutes(router: HttpRouter, broker: () => Broker): void {
  const describe = (name: string) => {
    const s = broker().requireStream(name);
    return { name: s.name, attributes: s.attributes, stats: s.stats(), shards: s.listShards() };
  };

  router.add('GET', '/api/streams', async () => ({ streams: broker().listStreams().map((s) => ({ name: s.name, attributes: s.attributes, stats: s.stats() })) }));

  router.add('PUT', '/api/streams/:name', async ({ params, body }) => {
    const existed = broker().getStream(params.name!) !== undefined;
    await broker().createStream(params.name!, bodyObject(body));
    return { status: existed ? 200 : 201, body: describe(params.name!) };
  });

  router.add('GET', '/api/streams/:name', async ({ params }) => describe(params.name!));

  router.add('DELETE', '/api/streams/:name', async ({ params }) => {
    if (!(await broker().deleteStream(params.name!))) throw new BrokerError('NOT_FOUND', `stream "${params.name!}"`);
    return { status: 204 };
  });

  router.add('POST', '/api/streams/:name/records', async ({ params, body }) => {
    const input = parseMessageInput(body);
    const stream = await broker().stream(params.name!);
    const r = await stream.put(input.message, input.explicitHashKey !== undefined ? { explicitHashKey: input.explicitHashKey } : {});
    return { status: 201, body: { shardId: r.shardId, sequenceNumber: r.sequenceNumber } };
  });

  router.add('POST', '/api/streams/:name/iterator', async ({ params, body }) => {
    const o = bodyObject(body);
    const iterator = await broker().requireStream(params.name!).getIterator(requiredString(o, 'shardId'), parsePosition(o));
    return { iterator };
  });

  router.add('POST', '/api/streams/:name/records/get', async ({ params, body }) => {
    const o = bodyObject(body);
    const limit = optionalInt(o, 'limit', 1, 10_000);
    const r = await broker().requireStream(params.name!).getRecords(requiredString(o, 'iterator'), limit);
    return {
      records: r.records.map((rec) => ({
        shardId: rec.shardId,
        sequenceNumber: rec.sequenceNumber,
        partitionKey: rec.partitionKey,
        arrivedAt: rec.arrivedAt,
        ...messageToJson(rec.message),
      })),
      nextIterator: r.nextIterator,
      millisBehindLatest: r.millisBehindLatest,
    };
  });

  router.add('POST', '/api/streams/:name/shards/:shardId/split', async ({ params, body }) => {
    const o = bodyObject(body);
    const children = await broker().requireStream(params.name!).splitShard(params.shardId!, requiredString(o, 'newStartingHashKey'));
    return { children };
  });

  router.add('POST', '/api/streams/:name/shards/merge', async ({ params, body }) => {
    const o = bodyObject(body);
    const child = await broker().requireStream(params.name!).mergeShards(requiredString(o, 'shardId'), requiredString(o, 'adjacentShardId'));
    return { child };
  });
}
