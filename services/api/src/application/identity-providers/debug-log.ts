/**
 * FusionAuth's `debug` flag on an identity provider: "creates an Event Log on each invocation". Each
 * entry is an `EventLogCreated` event (type Debug) on the provider's `eventlog-<id>` stream, readable
 * through FusionAuth's Event Log API, and a structured log line for operators. Entries name protocol
 * facts (request and assertion ids, bindings, attribute names, outcomes, refusal reasons), never
 * secrets or claim values: no SAML response, token or email address.
 */
import { randomUUID } from 'node:crypto';
import { eventLogStream, type EventLogCreated } from '@idstream/domain';
import type { AppContext } from '../context.js';
import type { IdentityProviderDocument } from './definitions.js';

export async function debugLog(ctx: AppContext, idp: Pick<IdentityProviderDocument, 'id' | 'name' | 'type' | 'debug'>, message: string): Promise<void> {
  if (idp.debug !== true) return;
  const text = `${idp.type} identity provider [${idp.name}]: ${message}`;
  ctx.logger.info({ eventLog: 'Debug', identityProviderId: idp.id, identityProviderName: idp.name, identityProviderType: idp.type }, message);
  const event: EventLogCreated = { type: 'EventLogCreated', data: { type: 'Debug', message: text, instant: ctx.now(), identityProviderId: idp.id } };
  try {
    // No read, no expected revision: entries never conflict, and a failure here must not fail a login.
    await ctx.eventStore.append(eventLogStream(idp.id), [{ id: randomUUID(), type: event.type, data: event.data }], 'any');
  } catch (error) {
    ctx.logger.error({ err: error, identityProviderId: idp.id }, 'could not write an event log entry');
  }
}
