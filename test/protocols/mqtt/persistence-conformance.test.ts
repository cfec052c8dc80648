/**
 * aedes-persistence's own conformance suite (abstract.js, the spec every aedes persistence is
 * tested with) run against CorePersistence over a real core Broker (in-memory store).
 *
 * Deliberate differences are listed in DIFFERENT with the reason; those tests are run and must
 * FAIL (so the list stays honest: if one starts passing, remove it from the list).
 */
import assert from 'node:assert';
import { createRequire } from 'node:module';
import { afterAll, describe, it } from 'vitest';
import { Broker } from '../../../src/core/broker.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { CorePersistence } from '../../../protocols/mqtt/persistence.js';

const require = createRequire(import.meta.url);
type TestContext = { plan(n: number): void; diagnostic(msg: string): void; assert: typeof assert };
type AbstractSuite = (opts: {
  test: (name: string, fn: (t: TestContext) => Promise<void>) => void;
  persistence: () => Promise<unknown>;
  testAsync: boolean;
}) => void;
const abstractPersistence = require('aedes-persistence/abstract.js') as AbstractSuite;

/** name → why our persistence differs on purpose. */
const DIFFERENT: Record<string, string> = {
  'store and look up retained messages':
    'retained messages live in the core as core messages: a lookup returns a fresh packet (cmd, topic, payload, qos, retain) without the extra `id` field the suite stores',
  'look up retained messages with a # pattern': 'same as above (extra packet fields are not kept)',
  'look up retained messages with a hello/world/# pattern': 'same as above',
  'look up retained messages with a + pattern': 'same as above',
  'look up retained messages with a + as first element': 'same as above',
  'look up retained messages with +/#': 'same as above',
  'look up retained messages with a + and # pattern with some in between': 'same as above',
  'look up retained messages with multiple patterns': 'same as above',
  'look up retained messages with multiple wildcard patterns': 'same as above',
  'storing twice a retained message should keep only the last': 'same as above',
  'Create a new packet while storing a retained message': 'same as above',
};

const brokers: Broker[] = [];
afterAll(async () => {
  for (const b of brokers) await b.close();
});

describe('aedes-persistence conformance (abstract.js) against CorePersistence', () => {
  abstractPersistence({
    testAsync: true,
    persistence: async () => {
      const core = await Broker.open({ store: new MemoryStore() });
      brokers.push(core);
      return new CorePersistence(core, core.logger);
    },
    test: (name, fn) => {
      const run = async (): Promise<void> => {
        const t: TestContext = { plan: () => undefined, diagnostic: () => undefined, assert };
        await fn(t);
      };
      if (name in DIFFERENT) {
        it(`${name} — differs by design: ${DIFFERENT[name]}`, async () => {
          await assert.rejects(run());
        });
      } else {
        it(name, run);
      }
    },
  });
});
