/**
 * Who an AWS API request acts as. Shared by every AWS API front-end.
 *
 * - `aws.accessKeys` configured: a signed request must verify (SigV4) against the secret of its
 *   access key and then acts as that key's `user` (a principal name for the ACLs; the user's
 *   groups are taken from `security.users` when it is configured there too). An unknown key is
 *   InvalidClientTokenId, a wrong signature SignatureDoesNotMatch, whatever the anonymous mode.
 *   An unsigned request is anonymous when `security.anonymous` allows it from its address, else
 *   MissingAuthenticationToken.
 * - No access keys configured: signatures are not checked (there is nothing to check them
 *   against, as other front-ends ignore credentials when no users are configured) and every
 *   request is anonymous, subject to `security.anonymous`.
 */
import type { Config } from '../../src/config/schema.js';
import { isBrokerError } from '../../src/core/errors.js';
import type { Principal, SecurityManager } from '../../src/security/security-manager.js';
import { AwsError, COMMON_ERRORS } from './errors.js';
import { isSigned, verifySignature, type SignedRequest } from './sigv4.js';

export class AwsAuthenticator {
  private readonly keys: Map<string, { secret: string; principal: Principal }>;

  constructor(config: Config, private readonly security: SecurityManager) {
    this.keys = new Map(config.aws.accessKeys.map((k) => [k.accessKeyId, {
      secret: k.secretAccessKey,
      principal: { name: k.user, anonymous: false, groups: [...(config.security.users.find((u) => u.name === k.user)?.groups ?? [])] },
    }]));
  }

  /** The principal of a request, or an AwsError (authentication failures). */
  async authenticate(req: SignedRequest, remoteAddress: string): Promise<Principal> {
    if (this.keys.size > 0 && isSigned(req)) {
      const { accessKeyId } = verifySignature(req, (id) => this.keys.get(id)?.secret);
      const { principal } = this.keys.get(accessKeyId)!;
      return { ...principal, groups: [...principal.groups] };
    }
    try {
      return await this.security.authenticate({ username: '', remoteAddress });
    } catch (err) {
      if (!isBrokerError(err, 'UNAUTHENTICATED')) throw err;
      throw new AwsError(
        this.keys.size > 0 ? COMMON_ERRORS.missingAuthentication : COMMON_ERRORS.invalidClientTokenId,
        this.keys.size > 0
          ? `Request is missing Authentication Token (anonymous access: ${err.message})`
          : `No access keys are configured (aws.accessKeys) and anonymous access is refused: ${err.message}`,
        { cause: err },
      );
    }
  }
}
