/**
 * JSON Schemas (2020-12, as OpenAPI 3.1 uses) of FusionAuth's request and response shapes. Objects
 * stay open (`additionalProperties` allowed) where FusionAuth returns more than we type here; the
 * fields that are typed are the ones clients rely on, and a few rules are security properties
 * (a user never carries its password hash).
 */
export type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
export const refs = {
  Errors: ref('Errors'),
  User: ref('User'),
  Registration: ref('Registration'),
  LoginResponse: ref('LoginResponse'),
  Tenant: ref('Tenant'),
  Application: ref('Application'),
  ApiKey: ref('ApiKey'),
  Webhook: ref('Webhook'),
  Key: ref('Key'),
  IdentityProvider: ref('IdentityProvider'),
  RefreshToken: ref('RefreshToken'),
  PublicEvent: ref('PublicEvent'),
};

const uuid: Schema = { type: 'string', format: 'uuid' };
const instant: Schema = { type: 'integer' };
const str: Schema = { type: 'string' };
const bool: Schema = { type: 'boolean' };
const obj: Schema = { type: 'object' };
const list = (items: Schema): Schema => ({ type: 'array', items });

export const components: Record<string, Schema> = {
  Error: { type: 'object', required: ['code', 'message'], properties: { code: str, message: str, data: obj } },
  Errors: {
    type: 'object',
    additionalProperties: false,
    properties: { fieldErrors: { type: 'object', additionalProperties: list(ref('Error')) }, generalErrors: list(ref('Error')) },
  },
  Registration: {
    type: 'object',
    required: ['applicationId'],
    properties: { id: uuid, applicationId: uuid, roles: list(str), username: str, verified: bool, insertInstant: instant, lastLoginInstant: instant, data: obj, preferredLanguages: list(str) },
  },
  User: {
    type: 'object',
    required: ['id', 'tenantId'],
    properties: {
      id: uuid,
      tenantId: uuid,
      email: str,
      username: str,
      active: bool,
      verified: bool,
      firstName: str,
      lastName: str,
      fullName: str,
      insertInstant: instant,
      lastUpdateInstant: instant,
      lastLoginInstant: instant,
      passwordChangeRequired: bool,
      passwordLastUpdateInstant: instant,
      registrations: list(ref('Registration')),
      data: obj,
      memberships: list(obj),
      preferredLanguages: list(str),
      twoFactor: obj,
    },
    // Hashes, salts and secrets never leave the service.
    not: { anyOf: [{ required: ['password'] }, { required: ['salt'] }] },
  },
  LoginResponse: {
    type: 'object',
    properties: { user: ref('User'), token: str, refreshToken: str, refreshTokenId: uuid, tokenExpirationInstant: instant, twoFactorId: str, methods: list(obj), changePasswordId: str, changePasswordReason: str, state: obj, pendingIdPLinkId: str },
  },
  Tenant: { type: 'object', required: ['id', 'name'], properties: { id: uuid, name: str, issuer: str, data: obj, insertInstant: instant, lastUpdateInstant: instant } },
  Application: { type: 'object', required: ['id', 'name'], properties: { id: uuid, name: str, tenantId: uuid, active: bool, roles: list(obj), data: obj } },
  ApiKey: { type: 'object', required: ['id'], properties: { id: uuid, key: str, tenantId: uuid, permissions: obj, metaData: obj }, not: { required: ['keyHash'] } },
  Webhook: { type: 'object', required: ['id', 'url'], properties: { id: uuid, url: str, global: bool, eventsEnabled: obj, tenantIds: list(uuid), headers: obj }, not: { required: ['httpAuthenticationPassword'] } },
  Key: { type: 'object', required: ['id', 'algorithm'], properties: { id: uuid, algorithm: str, kid: str, name: str, type: str, publicKey: str, certificate: str }, not: { anyOf: [{ required: ['privateKey'] }, { required: ['secret'] }, { required: ['sealedSecret'] }] } },
  IdentityProvider: { type: 'object', required: ['id', 'type'], properties: { id: str, type: str, name: str, enabled: bool, applicationConfiguration: obj } },
  RefreshToken: { type: 'object', properties: { id: uuid, userId: uuid, applicationId: uuid, insertInstant: instant, startInstant: instant, metaData: obj }, not: { required: ['token'] } },
  PublicEvent: { type: 'object', required: ['type', 'id', 'createInstant'], properties: { type: str, id: str, createInstant: instant, tenantId: uuid, user: ref('User'), info: obj } },
};

export const shapes = { uuid, instant, str, bool, obj, list };
