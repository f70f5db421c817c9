/**
 * What each operation of the API is, keyed by `METHOD /path/{param}` exactly as the Express routers
 * register it. The document's path list comes from the routers (document.ts); this catalogue gives
 * each one its summary and schemas. A route missing here is reported by the OpenAPI test.
 */
import { refs, shapes, type Schema } from './schemas.js';

export interface OperationSpec {
  summary: string;
  tag: string;
  /** Request body schema (JSON). */
  request?: Schema;
  /** Success responses: status → body schema, or null for an empty body. */
  responses: Record<string, Schema | null>;
  /** Reachable without an API key. */
  public?: boolean;
  /** Not JSON (HTML page, text, event stream): content type of the success response. */
  contentType?: string;
}

const { uuid, str, obj, list, bool, instant } = shapes;
const entity = (field: string, schema: Schema, extra: Record<string, Schema> = {}): Schema => ({ type: 'object', required: [field], properties: { [field]: schema, ...extra } });
const entities = (field: string, schema: Schema, extra: Record<string, Schema> = {}): Schema => ({ type: 'object', required: [field], properties: { [field]: list(schema), ...extra } });
const userResponse = entity('user', refs.User, { token: str, emailVerificationId: str, verificationIds: list(obj) });
const empty = null;

/** The FusionAuth CRUD family of one configuration object. */
function crud(path: string, field: string, plural: string, schema: Schema, tag: string): Record<string, OperationSpec> {
  const one = entity(field, schema);
  const body = entity(field, obj);
  return {
    [`GET ${path}`]: { summary: `Retrieve every ${field}`, tag, responses: { '200': entities(plural, schema) } },
    [`GET ${path}/{id}`]: { summary: `Retrieve a ${field}`, tag, responses: { '200': one } },
    [`POST ${path}`]: { summary: `Create a ${field}`, tag, request: body, responses: { '200': one } },
    [`POST ${path}/{id}`]: { summary: `Create a ${field} with an id`, tag, request: body, responses: { '200': one } },
    [`PUT ${path}/{id}`]: { summary: `Replace a ${field}`, tag, request: body, responses: { '200': one } },
    [`PATCH ${path}/{id}`]: { summary: `Update part of a ${field}`, tag, request: body, responses: { '200': one } },
    [`DELETE ${path}/{id}`]: { summary: `Delete a ${field}`, tag, responses: { '200': empty } },
  };
}

const loginStatuses = (ok: Schema): Record<string, Schema | null> => ({
  '200': ok,
  // An identity provider user not linked yet, with the link strategy "pending": the id to link with.
  '232': { type: 'object', required: ['pendingIdPLinkId'], properties: { pendingIdPLinkId: str } },
  '202': ok,
  '203': ok,
  '212': ok,
  '213': ok,
  '242': ok,
  // FusionAuth: the user is in an action that prevents login (e.g. the failed-login lock); the body lists those actions.
  '409': { type: 'object', properties: { actions: list({ type: 'object' }) } },
});

export const operations: Record<string, OperationSpec> = {
  // System
  'GET /api/status': { summary: 'Readiness: each dependency checked', tag: 'System', public: true, responses: { '200': { type: 'object', required: ['status', 'dependencies'], properties: { status: str, dependencies: { type: 'object', additionalProperties: { enum: ['ok', 'down'] } } } } } },
  'GET /api/status/live': { summary: 'Liveness', tag: 'System', public: true, responses: { '200': { type: 'object', required: ['status'], properties: { status: { const: 'ok' } } } } },
  'GET /.well-known/jwks.json': { summary: 'Public signing keys (JWKS)', tag: 'System', public: true, responses: { '200': { type: 'object', required: ['keys'], properties: { keys: list({ type: 'object', required: ['kty'], properties: { kty: str, kid: str, alg: str, use: str }, not: { anyOf: [{ required: ['d'] }, { required: ['p'] }, { required: ['k'] }] } }) } } } },
  'GET /api/prometheus/metrics': { summary: 'Prometheus metrics', tag: 'System', contentType: 'text/plain', responses: { '200': { type: 'string' } } },
  'GET /api/openapi.json': { summary: 'This document', tag: 'System', public: true, responses: { '200': obj } },
  'GET /api/system/reindex': { summary: 'Search reindex status', tag: 'System', responses: { '200': { type: 'object', properties: { reindexStatus: str } } } },
  'POST /api/system/reindex': { summary: 'Rebuild the search index', tag: 'System', request: obj, responses: { '202': empty, '200': empty } },

  // Users
  'POST /api/user': { summary: 'Create a user', tag: 'Users', request: entity('user', obj, { applicationId: uuid, sendSetPasswordEmail: bool, skipVerification: bool }), responses: { '200': userResponse } },
  'POST /api/user/{userId}': { summary: 'Create a user with an id', tag: 'Users', request: entity('user', obj), responses: { '200': userResponse } },
  'GET /api/user': { summary: 'Retrieve a user by email, username or loginId', tag: 'Users', responses: { '200': userResponse } },
  'GET /api/user/{userId}': { summary: 'Retrieve a user', tag: 'Users', responses: { '200': userResponse } },
  'PUT /api/user/{userId}': { summary: 'Replace a user', tag: 'Users', request: entity('user', obj), responses: { '200': userResponse } },
  'PATCH /api/user/{userId}': { summary: 'Update part of a user', tag: 'Users', request: obj, responses: { '200': userResponse } },
  'DELETE /api/user/{userId}': { summary: 'Deactivate or (hardDelete=true) delete a user', tag: 'Users', responses: { '200': empty } },
  'DELETE /api/user/bulk': { summary: 'Deactivate or delete users in bulk', tag: 'Users', request: obj, responses: { '200': { type: 'object', properties: { dryRun: bool, hardDelete: bool, total: { type: 'integer' }, userIds: list(uuid) } } } },
  'GET /api/user/{userId}/history': { summary: 'The user\'s events', tag: 'Users', responses: { '200': obj } },
  'GET /api/user/recent-login': { summary: 'Recent logins', tag: 'Users', responses: { '200': entities('logins', obj) } },
  'POST /api/user/import': { summary: 'Import users', tag: 'Users', request: { type: 'object', required: ['users'], properties: { users: list(obj), encryptionScheme: str, factor: { type: 'integer' }, validateDbConstraints: bool } }, responses: { '200': empty } },
  'POST /api/user/refresh-token/import': { summary: 'Import refresh tokens', tag: 'Users', request: entities('refreshTokens', obj), responses: { '200': empty } },
  'GET /api/user/search': { summary: 'Search users (query string)', tag: 'Users', responses: { '200': { type: 'object', required: ['total'], properties: { total: { type: 'integer' }, users: list(refs.User), nextResults: str } } } },
  'POST /api/user/search': { summary: 'Search users', tag: 'Users', request: entity('search', obj), responses: { '200': { type: 'object', required: ['total'], properties: { total: { type: 'integer' }, users: list(refs.User), nextResults: str } } } },
  'PUT /api/user/search': { summary: 'Refresh the search index (everything committed becomes searchable)', tag: 'Users', responses: { '200': empty } },
  'POST /api/user/change-password': { summary: 'Change a password (by login id, JWT or API key)', tag: 'Passwords', request: obj, responses: { '200': { type: 'object', properties: { oneTimePassword: str, state: obj } } } },
  'POST /api/user/change-password/{changePasswordId}': { summary: 'Change a password with a change-password id', tag: 'Passwords', request: obj, responses: { '200': { type: 'object', properties: { oneTimePassword: str, state: obj } } } },
  'GET /api/user/change-password/{changePasswordId}': { summary: 'Check a change-password id (200 valid, 404 unknown or expired)', tag: 'Passwords', responses: { '200': empty } },
  'GET /api/user/change-password': { summary: 'Check that a password change may proceed (by login id with an API key, or JWT)', tag: 'Passwords', responses: { '200': empty } },
  'POST /api/user/forgot-password': { summary: 'Start forgot password', tag: 'Passwords', request: obj, responses: { '200': { type: 'object', properties: { changePasswordId: str } } } },
  'POST /api/user/verify-email': { summary: 'Verify an email with a verification id (or code)', tag: 'Users', request: obj, responses: { '200': empty } },
  'POST /api/user/verify-email/{verificationId}': { summary: 'Verify an email', tag: 'Users', responses: { '200': empty } },
  'PUT /api/user/verify-email': { summary: 'Resend the verification email', tag: 'Users', responses: { '200': { type: 'object', properties: { verificationId: str } } } },
  'POST /api/user/registration': { summary: 'Create a user and a registration', tag: 'Registrations', request: obj, responses: { '200': { type: 'object', properties: { user: refs.User, registration: refs.Registration, token: str, refreshToken: str } } } },
  'POST /api/user/registration/{userId}': { summary: 'Register a user to an application', tag: 'Registrations', request: entity('registration', obj), responses: { '200': { type: 'object', properties: { user: refs.User, registration: refs.Registration, token: str, refreshToken: str } } } },
  'GET /api/user/registration/{userId}/{applicationId}': { summary: 'Retrieve a registration', tag: 'Registrations', responses: { '200': entity('registration', refs.Registration) } },
  'PUT /api/user/registration/{userId}': { summary: 'Update a registration', tag: 'Registrations', request: entity('registration', obj), responses: { '200': entity('registration', refs.Registration, { user: refs.User }) } },
  'PATCH /api/user/registration/{userId}': { summary: 'Update part of a registration', tag: 'Registrations', request: obj, responses: { '200': entity('registration', refs.Registration, { user: refs.User }) } },
  'DELETE /api/user/registration/{userId}/{applicationId}': { summary: 'Delete a registration', tag: 'Registrations', responses: { '200': empty } },

  // Login
  'POST /api/login': { summary: 'Log in with a login id and password', tag: 'Login', request: { type: 'object', properties: { loginId: str, password: str, applicationId: uuid, twoFactorTrustId: str, noJWT: bool } }, responses: loginStatuses(refs.LoginResponse) },
  'PUT /api/login': { summary: 'Record a login (token or API key)', tag: 'Login', responses: { '200': empty, '202': empty } },
  'PUT /api/login/{userId}': { summary: 'Record a login of a user', tag: 'Login', responses: { '200': empty, '202': empty } },
  'PUT /api/login/{userId}/{applicationId}': { summary: 'Record a login of a user to an application', tag: 'Login', responses: { '200': empty, '202': empty } },
  'POST /api/logout': { summary: 'Log out (revoke refresh tokens)', tag: 'Login', request: obj, responses: { '200': empty } },
  'GET /api/system/event-log/{id}': { summary: 'Retrieve an event log entry', tag: 'Event log', responses: { '200': entity('eventLog', obj) } },
  'GET /api/system/event-log/search': { summary: 'Search the event log', tag: 'Event log', responses: { '200': { type: 'object', properties: { eventLogs: list(obj), total: { type: 'integer' } } } } },
  'POST /api/system/event-log/search': { summary: 'Search the event log', tag: 'Event log', request: obj, responses: { '200': { type: 'object', properties: { eventLogs: list(obj), total: { type: 'integer' } } } } },
  'GET /api/system/login-record/search': { summary: 'Search login records', tag: 'Login', responses: { '200': { type: 'object', properties: { logins: list(obj), total: { type: 'integer' } } } } },
  'POST /api/system/login-record/search': { summary: 'Search login records', tag: 'Login', request: obj, responses: { '200': { type: 'object', properties: { logins: list(obj), total: { type: 'integer' } } } } },
  'GET /api/system/login-record/export': { summary: 'Export login records (zip)', tag: 'Login', contentType: 'application/zip', responses: { '200': { type: 'string' } } },
  'POST /api/system/login-record/export': { summary: 'Export login records (zip)', tag: 'Login', contentType: 'application/zip', request: obj, responses: { '200': { type: 'string' } } },

  // JWT and refresh tokens
  'POST /api/jwt/refresh': { summary: 'Exchange a refresh token for a new JWT', tag: 'JWT', request: obj, responses: { '200': { type: 'object', required: ['token'], properties: { token: str, refreshToken: str, refreshTokenId: uuid } } } },
  'GET /api/jwt/validate': { summary: 'Validate a JWT', tag: 'JWT', responses: { '200': entity('jwt', obj) } },
  'GET /api/jwt/refresh': { summary: 'Retrieve a user\'s refresh tokens', tag: 'JWT', responses: { '200': entities('refreshTokens', refs.RefreshToken) } },
  'GET /api/jwt/refresh/{tokenId}': { summary: 'Retrieve a refresh token', tag: 'JWT', responses: { '200': entity('refreshToken', refs.RefreshToken) } },
  'DELETE /api/jwt/refresh': { summary: 'Revoke refresh tokens', tag: 'JWT', responses: { '200': empty } },
  'DELETE /api/jwt/refresh/{tokenId}': { summary: 'Revoke a refresh token', tag: 'JWT', responses: { '200': empty } },

  // Two-factor
  'GET /api/two-factor/secret': { summary: 'Generate a TOTP secret', tag: 'Two-factor', responses: { '200': { type: 'object', required: ['secret', 'secretBase32Encoded'], properties: { secret: str, secretBase32Encoded: str } } } },
  'POST /api/two-factor/login': { summary: 'Complete a two-factor login', tag: 'Two-factor', request: { type: 'object', properties: { twoFactorId: str, code: str, trustComputer: bool } }, responses: loginStatuses({ ...(refs.LoginResponse as object), type: 'object', properties: { twoFactorTrustId: str } }) },
  'POST /api/two-factor/send/{twoFactorId}': { summary: 'Send a two-factor code', tag: 'Two-factor', request: obj, responses: { '200': empty } },
  'POST /api/user/two-factor/{userId}': { summary: 'Enable a two-factor method', tag: 'Two-factor', request: obj, responses: { '200': { type: 'object', properties: { recoveryCodes: list(str) } } } },
  'DELETE /api/user/two-factor/{userId}': { summary: 'Disable a two-factor method', tag: 'Two-factor', responses: { '200': empty } },
  'POST /api/user/two-factor/recovery-code/{userId}': { summary: 'Generate new recovery codes', tag: 'Two-factor', responses: { '200': { type: 'object', required: ['recoveryCodes'], properties: { recoveryCodes: list(str) } } } },

  // Passwordless
  'POST /api/passwordless/start': { summary: 'Start passwordless login (returns a code)', tag: 'Passwordless', request: { type: 'object', properties: { loginId: str, applicationId: uuid, state: obj } }, responses: { '200': { type: 'object', required: ['code'], properties: { code: str } } } },
  'POST /api/passwordless/send': { summary: 'Send a passwordless login email', tag: 'Passwordless', request: obj, responses: { '200': empty } },
  'POST /api/passwordless/login': { summary: 'Log in with a passwordless code', tag: 'Passwordless', request: { type: 'object', properties: { code: str, applicationId: uuid } }, responses: loginStatuses(refs.LoginResponse) },
  'GET /passwordless/link': { summary: 'The magic-link page (a button that logs in)', tag: 'Passwordless', public: true, contentType: 'text/html', responses: { '200': { type: 'string' } } },
  'POST /passwordless/link': { summary: 'Log in from the magic-link page and redirect', tag: 'Passwordless', public: true, contentType: 'text/html', responses: { '302': empty, '200': { type: 'string' } } },

  // Identity providers
  'GET /api/identity-provider': { summary: 'Retrieve identity providers (optionally by type)', tag: 'Identity providers', responses: { '200': { type: 'object', properties: { identityProviders: list(refs.IdentityProvider), identityProvider: refs.IdentityProvider } } } },
  'GET /api/identity-provider/{id}': { summary: 'Retrieve an identity provider', tag: 'Identity providers', responses: { '200': entity('identityProvider', refs.IdentityProvider) } },
  'POST /api/identity-provider': { summary: 'Create an identity provider', tag: 'Identity providers', request: entity('identityProvider', obj), responses: { '200': entity('identityProvider', refs.IdentityProvider) } },
  'POST /api/identity-provider/{id}': { summary: 'Create an identity provider with an id', tag: 'Identity providers', request: entity('identityProvider', obj), responses: { '200': entity('identityProvider', refs.IdentityProvider) } },
  'PUT /api/identity-provider': { summary: 'Replace the identity provider of a singleton type', tag: 'Identity providers', request: entity('identityProvider', obj), responses: { '200': entity('identityProvider', refs.IdentityProvider) } },
  'PUT /api/identity-provider/{id}': { summary: 'Replace an identity provider', tag: 'Identity providers', request: entity('identityProvider', obj), responses: { '200': entity('identityProvider', refs.IdentityProvider) } },
  'PATCH /api/identity-provider': { summary: 'Update part of a singleton identity provider', tag: 'Identity providers', request: obj, responses: { '200': entity('identityProvider', refs.IdentityProvider) } },
  'PATCH /api/identity-provider/{id}': { summary: 'Update part of an identity provider', tag: 'Identity providers', request: obj, responses: { '200': entity('identityProvider', refs.IdentityProvider) } },
  'DELETE /api/identity-provider': { summary: 'Delete the identity provider of a singleton type', tag: 'Identity providers', responses: { '200': empty } },
  'DELETE /api/identity-provider/{id}': { summary: 'Delete an identity provider', tag: 'Identity providers', responses: { '200': empty } },
  'GET /api/identity-provider/lookup': { summary: 'Find the identity provider for an email domain', tag: 'Identity providers', responses: { '200': entity('identityProvider', obj) } },
  'POST /api/identity-provider/start': { summary: 'Start an identity provider login', tag: 'Identity providers', request: obj, responses: { '200': { type: 'object', properties: { code: str } } } },
  'POST /api/identity-provider/login': { summary: 'Complete an identity provider login', tag: 'Identity providers', request: obj, responses: loginStatuses(refs.LoginResponse) },
  'GET /api/identity-provider/link': { summary: 'Retrieve identity provider links', tag: 'Identity providers', responses: { '200': { type: 'object', properties: { identityProviderLinks: list(obj), identityProviderLink: obj } } } },
  'POST /api/identity-provider/link': { summary: 'Link a user to an identity provider user', tag: 'Identity providers', request: obj, responses: { '200': entity('identityProviderLink', obj) } },
  'DELETE /api/identity-provider/link': { summary: 'Unlink a user from an identity provider user', tag: 'Identity providers', responses: { '200': entity('identityProviderLink', obj) } },

  // Keys
  'GET /api/key': { summary: 'Retrieve every key', tag: 'Keys', responses: { '200': entities('keys', refs.Key) } },
  'GET /api/key/{id}': { summary: 'Retrieve a key', tag: 'Keys', responses: { '200': entity('key', refs.Key) } },
  'POST /api/key': { summary: 'Create a key (generate)', tag: 'Keys', request: entity('key', obj), responses: { '200': entity('key', refs.Key) } },
  'POST /api/key/generate': { summary: 'Generate a key', tag: 'Keys', request: entity('key', obj), responses: { '200': entity('key', refs.Key) } },
  'POST /api/key/generate/{id}': { summary: 'Generate a key with an id', tag: 'Keys', request: entity('key', obj), responses: { '200': entity('key', refs.Key) } },
  'POST /api/key/import': { summary: 'Import a key', tag: 'Keys', request: entity('key', obj), responses: { '200': entity('key', refs.Key) } },
  'POST /api/key/import/{id}': { summary: 'Import a key with an id', tag: 'Keys', request: entity('key', obj), responses: { '200': entity('key', refs.Key) } },
  'PUT /api/key/{id}': { summary: 'Rename a key', tag: 'Keys', request: entity('key', obj), responses: { '200': entity('key', refs.Key) } },
  'DELETE /api/key/{id}': { summary: 'Delete a key', tag: 'Keys', responses: { '200': empty } },

  // Webhooks, deliveries, events
  'GET /api/webhook-delivery': { summary: 'The webhook delivery log', tag: 'Webhooks', responses: { '200': obj } },
  'POST /api/webhook-delivery/redeliver': { summary: 'Redeliver failed events', tag: 'Webhooks', request: obj, responses: { '200': obj } },
  'GET /api/events': { summary: 'Public events after a cursor (pull)', tag: 'Events', responses: { '200': { type: 'object', required: ['events'], properties: { events: list({ type: 'object', required: ['cursor', 'event'], properties: { cursor: str, event: refs.PublicEvent } }), nextCursor: str } } } },
  'GET /api/event-stream': { summary: 'Public events as server-sent events', tag: 'Events', contentType: 'text/event-stream', responses: { '200': { type: 'string' } } },
  'GET /api/event-schema': { summary: 'JSON Schemas of every public event', tag: 'Events', responses: { '200': obj } },
  'GET /api/event-schema/{type}': { summary: 'JSON Schema of one public event', tag: 'Events', responses: { '200': obj } },

  ...crud('/api/tenant', 'tenant', 'tenants', refs.Tenant, 'Tenants'),
  ...crud('/api/application', 'application', 'applications', refs.Application, 'Applications'),
  ...crud('/api/api-key', 'apiKey', 'apiKeys', refs.ApiKey, 'API keys'),
  ...crud('/api/webhook', 'webhook', 'webhooks', refs.Webhook, 'Webhooks'),
  ...crud('/api/email/template', 'emailTemplate', 'emailTemplates', { type: 'object', required: ['id', 'name', 'defaultSubject', 'defaultHtmlTemplate', 'defaultTextTemplate'], properties: { id: { type: 'string', format: 'uuid' }, name: { type: 'string' }, defaultSubject: { type: 'string' }, defaultHtmlTemplate: { type: 'string' }, defaultTextTemplate: { type: 'string' }, localizedSubjects: { type: 'object' } } }, 'Email templates'),
};

export { instant };
