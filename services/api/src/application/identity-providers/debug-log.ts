/**
 * FusionAuth's `debug` flag on an identity provider: "creates an Event Log on each invocation". Here
 * each entry is a structured log line (`eventLog: "Debug"`, the provider's id and name) written at
 * info level, so it shows without lowering the service's log level and only for providers in debug.
 * Entries name protocol facts (request and assertion ids, bindings, attribute names, outcomes,
 * refusal reasons), never secrets or the values of claims: no SAML response, token or email.
 */
import type { AppContext } from '../context.js';
import type { IdentityProviderDocument } from './definitions.js';

export function debugLog(ctx: AppContext, idp: Pick<IdentityProviderDocument, 'id' | 'name' | 'type' | 'debug'>, message: string): void {
  if (idp.debug !== true) return;
  ctx.logger.info({ eventLog: 'Debug', identityProviderId: idp.id, identityProviderName: idp.name, identityProviderType: idp.type }, message);
}
