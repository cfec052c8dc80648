/**
 * Where MQTT is served: its own port pair (1883, TLS 8883) and the WebSocket subprotocols
 * `mqtt` (3.1.1) and `mqttv3.1`. Light on purpose (no aedes): configuration loading reads it.
 */
import type { ListenerFamily, ProtocolListener } from '../../src/server/listener-family.js';
import type { ProtocolFactory } from '../../src/server/protocol-module.js';

export const MQTT_FAMILY = {
  name: 'mqtt', tlsName: 'mqtts', title: 'MQTT', port: 1883, tlsPort: 8883, dispatch: 'single',
} as const satisfies ListenerFamily;

export const mqttListener = {
  protocol: 'mqtt',
  family: MQTT_FAMILY,
  wsSubprotocols: ['mqtt', 'mqttv3.1'],
  load: async (): Promise<ProtocolFactory> => (await import('./index.js')).mqttProtocol,
} as const satisfies ProtocolListener;
