/**
 * SASL for AMQP 1.0 through the security core: PLAIN always, ANONYMOUS only when anonymous
 * access is allowed for the client's address (then a client may also skip SASL altogether and
 * open with the plain AMQP header). The authenticated user is the principal of the connection.
 *
 * rhea calls `start(response, hostname)` on a mechanism object and reads `outcome` and
 * `username` once the returned promise settles.
 */
import { isBrokerError } from '../../src/core/errors.js';
import type { Logger } from '../../src/log.js';
import type { Principal, SecurityManager } from '../../src/security/security-manager.js';

export interface SaslOptions {
  security: SecurityManager;
  remoteAddress: string;
  allowAnonymous: boolean;
  logger: Logger;
  onAuthenticated(principal: Principal, mechanism: string): void;
}

interface ServerMechanism {
  outcome: boolean | undefined;
  username: string | undefined;
  start(response: Buffer | undefined, hostname?: string): Promise<void>;
}

/** PLAIN initial response: [authzid] NUL authcid NUL passwd (RFC 4616). */
export function parsePlain(response: Buffer | undefined): { authzid: string; username: string; password: string } | undefined {
  if (!response) return undefined;
  const first = response.indexOf(0);
  const second = first < 0 ? -1 : response.indexOf(0, first + 1);
  if (first < 0 || second < 0 || response.indexOf(0, second + 1) >= 0) return undefined;
  return {
    authzid: response.toString('utf8', 0, first),
    username: response.toString('utf8', first + 1, second),
    password: response.toString('utf8', second + 1),
  };
}

class Mechanism implements ServerMechanism {
  outcome: boolean | undefined;
  username: string | undefined;

  constructor(private readonly name: 'PLAIN' | 'ANONYMOUS', private readonly opts: SaslOptions) {}

  async start(response: Buffer | undefined): Promise<void> {
    let username: string | undefined;
    let password: string | undefined;
    if (this.name === 'PLAIN') {
      const plain = parsePlain(response);
      if (!plain || (plain.authzid !== '' && plain.authzid !== plain.username)) {
        this.opts.logger.warn({ remote: this.opts.remoteAddress }, 'AMQP 1.0: malformed SASL PLAIN response (or authorization identity differs)');
        this.outcome = false;
        return;
      }
      username = plain.username;
      password = plain.password;
    }
    try {
      const principal = await this.opts.security.authenticate({ username: username ?? null, password: password ?? null, remoteAddress: this.opts.remoteAddress });
      this.opts.onAuthenticated(principal, this.name);
      this.username = principal.name;
      this.outcome = true;
    } catch (err) {
      if (!isBrokerError(err, 'UNAUTHENTICATED')) {
        this.opts.logger.error({ err, remote: this.opts.remoteAddress }, 'AMQP 1.0: authentication error');
        throw err; // rhea answers with sasl-outcome sys and closes
      }
      this.opts.logger.warn({ remote: this.opts.remoteAddress, mechanism: this.name, user: username, reason: err.message }, 'AMQP 1.0: authentication failed');
      this.outcome = false;
    }
  }
}

/** The server mechanism table for one connection (rhea's `sasl_server_mechanisms` shape). */
export function serverMechanisms(opts: SaslOptions): Record<string, () => ServerMechanism> {
  const mechs: Record<string, () => ServerMechanism> = { PLAIN: () => new Mechanism('PLAIN', opts) };
  if (opts.allowAnonymous) mechs.ANONYMOUS = () => new Mechanism('ANONYMOUS', opts);
  return mechs;
}

/** May an unauthenticated client from this address connect? */
export async function anonymousAllowed(security: SecurityManager, remoteAddress: string, logger: Logger): Promise<Principal | undefined> {
  try {
    return await security.authenticate({ username: null, remoteAddress });
  } catch (err) {
    if (!isBrokerError(err, 'UNAUTHENTICATED')) logger.error({ err }, 'AMQP 1.0: anonymous access check failed');
    return undefined;
  }
}
