/**
 * The versioned public event contract: one JSON Schema (draft-07) per public event type, served by
 * the API (`/api/event-schema`) and checked in tests against real deliveries. A breaking change to a
 * body bumps {@link PUBLIC_EVENT_CONTRACT_VERSION} and keeps the old version servable; additions of
 * optional fields are not breaking (every schema allows unknown properties, as FusionAuth adds fields
 * between releases and receivers must ignore what they do not know).
 */

export const PUBLIC_EVENT_CONTRACT_VERSION = 1;

type Schema = Record<string, unknown>;

const uuid: Schema = { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' };
const instant: Schema = { type: 'integer', minimum: 0 };

/** Secrets never leave the service, whatever the event. */
const noSecrets: Schema = {
  not: { anyOf: ['password', 'salt', 'hash', 'encryptionScheme', 'factor', 'secrets'].map((field) => ({ required: [field] })) },
};

const user: Schema = {
  type: 'object',
  required: ['id', 'tenantId', 'active'],
  properties: {
    id: uuid,
    tenantId: uuid,
    email: { type: 'string' },
    username: { type: 'string' },
    active: { type: 'boolean' },
    verified: { type: 'boolean' },
    insertInstant: instant,
    lastUpdateInstant: instant,
    lastLoginInstant: instant,
    data: { type: 'object' },
    registrations: { type: 'array', items: { type: 'object', required: ['applicationId'], properties: { applicationId: uuid } } },
  },
  allOf: [noSecrets],
};

/** A user named by id (delete events after erasure, imports); a full user also validates. */
const erasedUser: Schema = { type: 'object', required: ['id', 'tenantId'], properties: { id: uuid, tenantId: uuid }, allOf: [noSecrets] };

const info: Schema = {
  type: 'object',
  properties: { ipAddress: { type: 'string' }, userAgent: { type: 'string' }, deviceName: { type: 'string' }, deviceType: { type: 'string' } },
};

/** Fields and requirements of each type beyond the common envelope. */
interface TypeShape {
  description: string;
  required?: string[];
  properties?: Record<string, Schema>;
}

const withUser = (description: string, extra: Omit<TypeShape, 'description'> = {}): TypeShape => ({
  description,
  required: ['tenantId', 'user', ...(extra.required ?? [])],
  properties: { user, ...(extra.properties ?? {}) },
});

const registration: Schema = { type: 'object', required: ['applicationId'], properties: { applicationId: uuid, id: uuid, roles: { type: 'array', items: { type: 'string' } } } };

const shapes: Record<string, TypeShape> = {
  'user.create': withUser('A user was created.'),
  'user.create.complete': withUser('A user was created; sent after the fact, never transactional.'),
  'user.update': withUser('A user was updated; `original` is the user before.', { properties: { original: user } }),
  'user.update.complete': withUser('A user update completed.', { properties: { original: user } }),
  'user.delete': { description: 'A user was deleted. After a hard delete nothing personal is sent: `user` is `{id, tenantId}`.', required: ['tenantId', 'user'], properties: { user: erasedUser } },
  'user.delete.complete': { description: 'A user deletion completed; `user` as in `user.delete`.', required: ['tenantId', 'user'], properties: { user: erasedUser } },
  'user.deactivate': withUser('A user was deactivated.'),
  'user.reactivate': withUser('A user was reactivated.'),
  'user.bulk.create': {
    description: 'Users were imported (one event per import request). Each user is named by `id` and `tenantId` only; read the rest with the User API.',
    required: ['users'],
    properties: { users: { type: 'array', items: erasedUser } },
  },
  'user.login.success': withUser('A login succeeded.', { required: ['authenticationType'], properties: { authenticationType: { type: 'string' }, applicationId: uuid } }),
  'user.login.failed': {
    description: 'A login failed for a known user.',
    required: ['tenantId'],
    properties: { user, applicationId: uuid, reason: { type: 'object', properties: { code: { type: 'string' } } } },
  },
  'user.password.update': withUser('A user changed their password.'),
  'user.password.reset.send': withUser('A password reset was sent.'),
  'user.password.reset.start': withUser('A password reset was started.'),
  'user.password.reset.success': withUser('A password reset succeeded.'),
  'user.email.verified': withUser('A user verified their email.'),
  'user.registration.create': withUser('A user was registered to an application.', { required: ['applicationId', 'registration'], properties: { applicationId: uuid, registration } }),
  'user.registration.update': withUser('A registration was updated.', { required: ['applicationId', 'registration'], properties: { applicationId: uuid, registration, original: registration } }),
  'user.registration.delete': withUser('A registration was deleted.', { required: ['applicationId', 'registration'], properties: { applicationId: uuid, registration } }),
  'user.registration.create.complete': withUser('A registration was created; sent after the fact, never transactional.', { required: ['applicationId', 'registration'], properties: { applicationId: uuid, registration } }),
  'user.registration.update.complete': withUser('A registration update completed.', { required: ['applicationId', 'registration'], properties: { applicationId: uuid, registration, original: registration } }),
  'user.registration.delete.complete': withUser('A registration deletion completed.', { required: ['applicationId', 'registration'], properties: { applicationId: uuid, registration } }),
  'user.identity-provider.link': withUser('A user was linked to an identity provider.', { properties: { identityProviderLink: { type: 'object' } } }),
  'user.identity-provider.unlink': withUser('A user was unlinked from an identity provider.', { properties: { identityProviderLink: { type: 'object' } } }),
  'user.email.update': withUser('A user changed their email; `previousEmail` is the old one.', { properties: { previousEmail: { type: 'string' } } }),
  'user.registration.verified': withUser('A registration was verified.', { properties: { applicationId: uuid, registration } }),
  'user.two-factor.method.add': withUser('A two-factor method was added.', { properties: { method: { type: 'object' } } }),
  'user.two-factor.method.remove': withUser('A two-factor method was removed.', { properties: { method: { type: 'object' } } }),
  'user.login.new-device': withUser('A login from a new device.', { properties: { applicationId: uuid, authenticationType: { type: 'string' } } }),
  'user.login.suspicious': withUser('A suspicious login.', { properties: { applicationId: uuid, authenticationType: { type: 'string' } } }),
  'jwt.refresh': { description: 'An access token was refreshed.', properties: { applicationId: uuid, userId: uuid, token: { type: 'string' }, original: { type: 'string' } } },
  'jwt.refresh-token.revoke': {
    description: 'A refresh token was revoked (one event per token; `refreshTokenId` names it). `user` is absent once the user is deleted.',
    required: ['tenantId', 'userId'],
    properties: { userId: uuid, refreshTokenId: uuid, applicationTimeToLiveInSeconds: { type: 'object' }, user },
  },
};

export const publicEventTypes: readonly string[] = Object.keys(shapes).sort();

/** The JSON Schema of a delivered body (`{"event": {...}}`) of one type, or undefined for an unknown type. */
export function publicEventSchema(type: string): Schema | undefined {
  const shape = shapes[type];
  if (!shape) return undefined;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `urn:idstream:public-event:v${PUBLIC_EVENT_CONTRACT_VERSION}:${type}`,
    title: type,
    description: shape.description,
    type: 'object',
    required: ['event'],
    properties: {
      event: {
        type: 'object',
        required: ['type', 'id', 'createInstant', ...(shape.required ?? [])],
        properties: { type: { const: type }, id: uuid, createInstant: instant, tenantId: uuid, info, ...(shape.properties ?? {}) },
        allOf: [noSecrets],
      },
    },
  };
}
