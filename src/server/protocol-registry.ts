/**
 * The protocol front-ends this build ships: one line per front-end, its listener declaration
 * (protocols/<p>/listener.ts). Adding a front-end is its folder plus one line here; the config
 * keys, defaults, flags, environment variables, `--help` and the server's listeners follow
 * (listener-family.ts). Order is listener order (port-clash messages, `--help`, docs).
 *
 * Light on purpose: configuration loading imports this file; each front-end's code is
 * imported by its `load()` when a server starts it.
 */
import { amqp10Listener } from '../../protocols/amqp10/listener.js';
import { amqp091Listener } from '../../protocols/amqp091/listener.js';
import { awsListener } from '../../protocols/aws/listener.js';
import { mqttListener } from '../../protocols/mqtt/listener.js';
import { stompListener } from '../../protocols/stomp/listener.js';
import type { ProtocolRegistry } from './listener-family.js';
import type { ProtocolFactory } from './protocol-module.js';

export const BUILT_IN_PROTOCOLS = [
  mqttListener,
  // Before AMQP 1.0 on the shared port: its refusal header answers only 0-8/0-9-style headers.
  amqp091Listener,
  amqp10Listener,
  stompListener,
  awsListener,
] as const satisfies ProtocolRegistry;

/** Names of the built-in families (`mqtt`, `amqp`, `stomp`) and of their bound ports (with `mqtts`, ...). */
export type BuiltInFamilyName = (typeof BUILT_IN_PROTOCOLS)[number]['family']['name'];
export type BuiltInTlsName = (typeof BUILT_IN_PROTOCOLS)[number]['family']['tlsName'];

/** Every front-end of `registry`, with default options, imported now. */
export function loadProtocols(registry: ProtocolRegistry): Promise<ProtocolFactory[]> {
  return Promise.all(registry.map((p) => p.load()));
}
