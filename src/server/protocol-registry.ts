/**
 * The protocol front-ends this build ships. Each is a factory producing a ProtocolModule;
 * the server opens a listener family only when a module for it is present.
 */
import type { ProtocolFactory } from './protocol-module.js';
import { mqttProtocol } from '../../protocols/mqtt/index.js';
import { amqp10Protocol } from '../../protocols/amqp10/index.js';
import { stompProtocol } from '../../protocols/stomp/stomp-module.js';

export const builtInProtocols: ProtocolFactory[] = [mqttProtocol, amqp10Protocol, stompProtocol];
