/**
 * Retained messages for aedes' persistence: they live in the core's retained store
 * (Broker.publish(..., { retain }) / Broker.retained).
 */
import { Readable } from 'node:stream';
import type { Broker } from '../../src/core/broker.js';
import type { TopicMessage } from '../../src/core/topic/topic-types.js';
import type { Logger } from '../../src/log.js';
import type { AedesPacket } from './aedes-types.js';
import { publishedQos, toCoreMessage } from './message-mapping.js';
import { isRouted, markRouted } from './routed-marks.js';
import { coreToTopic, filterToCorePatterns, isSysTopic, SHARE_PREFIX, topicToCore } from './topic-names.js';

export class RetainedStore {
  constructor(
    private readonly core: Broker,
    private readonly logger: Logger,
  ) {}

  async store(packet: AedesPacket): Promise<void> {
    if (isRouted(packet.payload)) return; // the core publish already set (or cleared) it
    const name = topicToCore(packet.topic);
    const message = toCoreMessage(packet, undefined, Date.now());
    await this.core.publish(name, message, { retain: true });
    markRouted(packet.payload);
  }

  stream(patterns: string[]): Readable {
    const seen = new Set<string>();
    const out: AedesPacket[] = [];
    for (const filter of patterns) {
      // Shared subscriptions never get retained messages; $SYS topics are not retained here.
      if (filter.startsWith(SHARE_PREFIX) || isSysTopic(filter)) continue;
      let corePatterns: string[];
      try {
        corePatterns = filterToCorePatterns(filter);
      } catch (err) {
        this.logger.debug({ err, filter }, 'retained lookup for an unmappable filter');
        continue;
      }
      for (const p of corePatterns) {
        for (const tm of this.core.retained(p)) {
          if (seen.has(tm.topic)) continue;
          seen.add(tm.topic);
          out.push(retainedPacket(tm));
        }
      }
    }
    return Readable.from(out);
  }
}

function retainedPacket(tm: TopicMessage): AedesPacket {
  const q = publishedQos(tm.message);
  return {
    cmd: 'publish',
    topic: coreToTopic(tm.topic),
    payload: tm.message.body,
    qos: q ?? (tm.message.persistent ? 1 : 0),
    retain: true,
    dup: false,
  };
}
