import { describe, expect, it } from 'vitest';
import { MQTT_PUBLISH_OVERHEAD_BYTES, resolveMqttOptions } from '../../../protocols/mqtt/mqtt-options.js';
import { FrameGuard } from '../../../protocols/mqtt/frame-guard.js';
import { generate } from 'mqtt-packet';

describe('MQTT packet limit', () => {
  it('fits a PUBLISH whose body is exactly the message limit with the longest topic name', () => {
    const limits = { maxMessageBytes: 4096, maxFrameBytes: 4096 + 65_536 };
    const { maxPacketBytes } = resolveMqttOptions({}, limits);
    expect(maxPacketBytes).toBe(4096 + MQTT_PUBLISH_OVERHEAD_BYTES);
    const packet = generate({ cmd: 'publish', topic: 't'.repeat(65_535), payload: Buffer.alloc(4096), qos: 1, messageId: 1, dup: false, retain: false });
    expect(new FrameGuard(maxPacketBytes).check(packet)).toBeNull();
  });

  it('keeps an explicit maxPacketBytes and a larger configured frame limit', () => {
    expect(resolveMqttOptions({ maxPacketBytes: 1000 }, { maxMessageBytes: 4096, maxFrameBytes: 8192 }).maxPacketBytes).toBe(1000);
    expect(resolveMqttOptions({}, { maxMessageBytes: 4096, maxFrameBytes: 1 << 20 }).maxPacketBytes).toBe(1 << 20);
  });
});
