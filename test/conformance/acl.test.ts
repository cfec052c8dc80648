/**
 * Scenario 4: ACL refusal the protocol's way, and a permitted client on the same broker is not
 * affected. `writer` may only write, `reader` may only read, `alice` may do both (all on
 * `conf.acl.>`); anonymous access is off.
 *
 * | protocol | no read permission (subscribe) | no write permission (send) |
 * |---|---|---|
 * | STOMP | ERROR frame (code FORBIDDEN), connection closed | ERROR frame (code FORBIDDEN), connection closed |
 * | AMQP 1.0 | receiver attach refused, amqp:unauthorized-access; connection stays open | sender attach refused, amqp:unauthorized-access; connection stays open |
 * | MQTT 3.1.1 | SUBACK 0x80; connection stays open | PUBACK, message dropped (no negative ack in 3.1.1) |
 * | AMQP 0-9-1 | channel closed 403 ACCESS_REFUSED; connection stays open | channel closed 403 ACCESS_REFUSED; connection stays open |
 */
import { expect, it } from 'vitest';
import { hashPassword } from '../../src/security/password-hash.js';
import { queue, RefusedError, topic, waitFor, type ProtocolName } from './driver.js';
import { eachDriver, uniqueName, useBroker } from './harness.js';

const PASSWORD = 'conformance-secret';

const broker = useBroker({
  overrides: async () => {
    const passwordHash = await hashPassword(PASSWORD, { N: 16 });
    return {
      security: {
        anonymous: 'never',
        users: ['alice', 'writer', 'reader'].map((name) => ({ name, passwordHash, groups: [] })),
        acl: [
          { principal: 'alice', kinds: ['queue', 'topic'], pattern: 'conf.acl.>', allow: ['read', 'write'] },
          { principal: 'writer', kinds: ['queue', 'topic'], pattern: 'conf.acl.>', allow: ['write'] },
          { principal: 'reader', kinds: ['queue', 'topic'], pattern: 'conf.acl.>', allow: ['read'] },
        ],
      },
    };
  },
});

/** What each protocol's refusal looks like (the RefusedError code); null = not reported to the client. */
const REFUSAL: Record<ProtocolName, { read: string; write: string | null; closesConnection: boolean }> = {
  stomp: { read: 'ERROR FORBIDDEN', write: 'ERROR FORBIDDEN', closesConnection: true },
  amqp10: { read: 'amqp:unauthorized-access', write: 'amqp:unauthorized-access', closesConnection: false },
  mqtt: { read: 'SUBACK 0x80', write: null, closesConnection: false },
  amqp091: { read: '403 ACCESS_REFUSED', write: '403 ACCESS_REFUSED', closesConnection: false },
};

async function refusal(p: Promise<unknown>): Promise<RefusedError | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    if (err instanceof RefusedError) return err;
    throw err;
  }
}

eachDriver([], (d) => {
  const expected = REFUSAL[d.protocol];
  const user = (username: string) => ({ username, password: PASSWORD });

  it(`${d.name}: subscribe without read and send without write are refused the protocol's way; alice is unaffected`, async () => {
    const dest = d.capabilities.queues ? queue(uniqueName('acl', d)) : topic(uniqueName('acl', d));
    const alice = await broker.connect(d, user('alice'));
    const aliceSub = await alice.subscribe(dest, { ack: 'auto' });

    const writer = await broker.connect(d, user('writer'));
    const readRefused = await refusal(writer.subscribe(dest, { ack: 'auto' }));
    expect(readRefused?.code, `${d.name}: writer subscribing to ${d.address(dest)} (no read permission)`).toBe(expected.read);

    const reader = await broker.connect(d, user('reader'));
    const writeRefused = await refusal(reader.send(dest, 'from-reader'));
    if (expected.write === null) {
      expect(writeRefused, `${d.name}: a refused publish is acknowledged (and dropped)`).toBeUndefined();
    } else {
      expect(writeRefused?.code, `${d.name}: reader sending to ${d.address(dest)} (no write permission)`).toBe(expected.write);
    }

    if (expected.closesConnection) {
      await waitFor(() => writer.closed && reader.closed, `${d.name}: the refused connections to be closed`);
    } else {
      expect(writer.closed || reader.closed, `${d.name}: a refusal keeps the connection open`).toBe(false);
    }
    const writerAgain = writer.closed ? await broker.connect(d, user('writer')) : writer;
    await writerAgain.send(dest, 'from-writer');
    await alice.send(dest, 'from-alice');
    // A publish that was wrongly let through would have been routed before its acknowledgement,
    // so it would arrive before these two.
    const got = await aliceSub.waitFor(2, "the writer's and alice's messages");
    expect(got.map((m) => m.body.toString()), `${d.name}: alice's subscription after the refusals`).toEqual(['from-writer', 'from-alice']);
    expect(alice.closed, `${d.name}: alice's connection`).toBe(false);
  });
});
