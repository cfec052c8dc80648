/** /api/exchanges and /api/bindings: AMQP 0-9-1 exchanges and their bindings (read only). */
import type { Broker } from '../../core/broker.js';
import { BrokerError } from '../../core/errors.js';
import { argumentsToJson } from '../../core/exchange/binding-identity.js';
import type { Binding, BindingFilter, ExchangeInfo } from '../../core/exchange/types.js';
import type { HttpRouter } from '../http-router.js';

/** The default exchange `''` in a path (RabbitMQ's management API spells it the same way). */
const DEFAULT_EXCHANGE_ALIAS = 'amq.default';

const exchangeJson = (x: ExchangeInfo) => ({ ...x, arguments: argumentsToJson(x.arguments) });
const bindingJson = (b: Binding) => ({ ...b, arguments: argumentsToJson(b.arguments) });

export function registerExchangeRoutes(router: HttpRouter, broker: () => Broker): void {
  router.add('GET', '/api/exchanges', async () => ({ exchanges: broker().exchanges.list().map(exchangeJson) }));

  router.add('GET', '/api/exchanges/:name', async ({ params }) => {
    const name = params.name === DEFAULT_EXCHANGE_ALIAS ? '' : params.name!;
    const x = broker().exchanges.get(name);
    if (!x) throw new BrokerError('NOT_FOUND', `exchange "${name}"`);
    return {
      ...exchangeJson(x),
      bindings: broker().exchanges.bindings({ source: name }).map(bindingJson),
      boundTo: broker().exchanges.bindings({ exchange: name }).map(bindingJson),
    };
  });

  /** `?source=`, `?queue=`, `?exchange=` (destination) narrow the list. */
  router.add('GET', '/api/bindings', async ({ query }) => {
    const filter: BindingFilter = {};
    for (const key of ['source', 'queue', 'exchange'] as const) {
      const v = query.get(key);
      if (v !== null) filter[key] = v;
    }
    return { bindings: broker().exchanges.bindings(filter).map(bindingJson) };
  });
}
