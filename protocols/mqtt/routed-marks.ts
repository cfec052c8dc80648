/**
 * Marks on packet payloads that went through Broker.publish already.
 *
 * Messages that went through the core (every client PUBLISH and will: the front-end publishes
 * them to the core in authorizePublish, before aedes acknowledges) are marked with markRouted();
 * the persistence (storeRetained / outgoingEnqueueCombi) and the message bus (emit) then skip
 * them because the core did that work. See persistence.ts.
 */
const routed = new WeakSet<object>();

/** The packet's payload object went through Broker.publish already (see the file comment). */
export function markRouted(payload: Buffer | string): void {
  if (typeof payload === 'object') routed.add(payload);
}

export function isRouted(payload: Buffer | string | undefined): boolean {
  return typeof payload === 'object' && payload !== null && routed.has(payload);
}

export function unmarkRouted(payload: Buffer | string | undefined): void {
  if (typeof payload === 'object' && payload !== null) routed.delete(payload);
}
