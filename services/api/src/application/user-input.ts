/**
 * Validation of the `user` object of create, update and import requests: FusionAuth's field errors
 * (`[couldNotConvert]`, `[blank]`, `[notEmail]`, `[blocked]`, `[invalid]`…), collected all at once.
 */
import { randomUUID } from 'node:crypto';
import { isPasswordScheme } from '@idstream/crypto';
import type { ConfigDocument, FieldErrors } from '@idstream/domain';
import type { SecretBox } from '@idstream/platform';

export const TWO_FACTOR_SECRET_PURPOSE = 'two-factor-secret';

const stringFields = [
  'email', 'username', 'password', 'firstName', 'lastName', 'middleName', 'fullName', 'mobilePhone', 'imageUrl',
  'timezone', 'birthDate', 'encryptionScheme', 'parentEmail', 'usernameStatus', 'salt',
] as const;
/** Request fields that are credentials or controls, never stored on the user record. */
export const credentialFields = ['password', 'encryptionScheme', 'factor', 'salt'] as const;
/** Fields the server owns: a request cannot set them (create/update) — they are kept or computed. */
const serverFields = ['id', 'tenantId', 'insertInstant', 'lastUpdateInstant', 'lastLoginInstant', 'passwordLastUpdateInstant', 'verified', 'verifiedInstant', 'registrations', 'active', 'connectorId', 'breachedPasswordLastCheckedInstant', 'twoFactorEnabled', 'twoFactorDelivery', 'twoFactorSecret'] as const;

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/**
 * Characters no login id should hold: controls (NUL…), bidirectional overrides that make an address
 * read differently than it is stored (`\u202E`), and lone surrogates (not text; UTF-8 turns every
 * one into U+FFFD, so two different ids would share one uniqueness digest).
 */
const unsafeLoginIdCharacters = /[\p{Cc}\p{Cs}\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
const isEmail = (value: string) => emailPattern.test(value) && !unsafeLoginIdCharacters.test(value);
const birthDatePattern = /^\d{4}-\d{2}-\d{2}$/;
let timeZones: Set<string> | undefined;

export interface ParsedUser {
  /** The profile fields to store (credentials, server-owned fields removed). */
  fields: Record<string, unknown>;
  email?: string;
  username?: string;
  password?: string;
  encryptionScheme?: string;
  factor?: number;
  salt?: string;
}

/** Parses and validates a `user` object; `prefix` names fields in errors (`user`, `users[3]`). */
export function parseUser(
  source: Record<string, unknown>,
  errors: FieldErrors,
  options: { prefix?: string; tenant: ConfigDocument; disableDomainBlock?: boolean; secrets?: SecretBox; now: number },
): ParsedUser {
  const p = options.prefix ?? 'user';
  for (const field of stringFields) {
    if (source[field] !== undefined && source[field] !== null && typeof source[field] !== 'string') errors.add(`${p}.${field}`, 'couldNotConvert', `[${p}.${field}] must be a string.`);
  }
  const str = (field: string) => (typeof source[field] === 'string' ? (source[field] as string).trim() : undefined);
  const email = str('email') || undefined;
  const username = str('username') || undefined;
  if (username && unsafeLoginIdCharacters.test(username)) errors.add(`${p}.username`, 'invalid', `[${p}.username] must not contain control, bidirectional-override or unpaired surrogate characters.`);
  if (!email && !username) {
    errors.add(`${p}.email`, 'blank', `You must specify either the [${p}.email] or [${p}.username] property.`);
    errors.add(`${p}.username`, 'blank', `You must specify either the [${p}.email] or [${p}.username] property.`);
  }
  if (email && !isEmail(email)) errors.add(`${p}.email`, 'notEmail', `The email [${email}] is not a valid email address.`);
  else if (email && !options.disableDomainBlock) {
    const blocked = ((options.tenant.registrationConfiguration as { blockedDomains?: string[] } | undefined)?.blockedDomains ?? []).map((d) => d.toLowerCase());
    const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
    if (blocked.includes(domain)) errors.add(`${p}.email`, 'blocked', `The email domain [${domain}] is blocked.`);
  }
  const birthDate = str('birthDate');
  if (birthDate && (!birthDatePattern.test(birthDate) || Number.isNaN(Date.parse(birthDate)))) errors.add(`${p}.birthDate`, 'invalid', `[${p}.birthDate] must be a date formatted YYYY-MM-DD.`);
  const timezone = str('timezone');
  if (timezone && !isTimeZone(timezone)) errors.add(`${p}.timezone`, 'invalid', `The timezone [${timezone}] is not a valid IANA time zone.`);
  const usernameStatus = str('usernameStatus');
  if (usernameStatus && !['ACTIVE', 'PENDING', 'REJECTED'].includes(usernameStatus)) errors.add(`${p}.usernameStatus`, 'invalid', `[${p}.usernameStatus] must be ACTIVE, PENDING or REJECTED.`);
  for (const field of ['expiry'] as const) {
    if (source[field] !== undefined && source[field] !== null && (typeof source[field] !== 'number' || !Number.isInteger(source[field]))) errors.add(`${p}.${field}`, 'couldNotConvert', `[${p}.${field}] must be an instant (epoch milliseconds).`);
  }
  for (const field of ['passwordChangeRequired'] as const) {
    if (source[field] !== undefined && source[field] !== null && typeof source[field] !== 'boolean') errors.add(`${p}.${field}`, 'couldNotConvert', `[${p}.${field}] must be true or false.`);
  }
  if (source.data !== undefined && source.data !== null && (typeof source.data !== 'object' || Array.isArray(source.data))) errors.add(`${p}.data`, 'couldNotConvert', `[${p}.data] must be an object.`);
  const languages = source.preferredLanguages;
  if (languages !== undefined && languages !== null) {
    if (!Array.isArray(languages) || !languages.every((l) => typeof l === 'string')) errors.add(`${p}.preferredLanguages`, 'couldNotConvert', `[${p}.preferredLanguages] must be an array of strings.`);
    else if (languages.length > 20) errors.add(`${p}.preferredLanguages`, 'tooMany', `[${p}.preferredLanguages] may hold at most 20 locales.`);
  }
  const encryptionScheme = str('encryptionScheme');
  if (encryptionScheme && !isPasswordScheme(encryptionScheme)) errors.add(`${p}.encryptionScheme`, 'invalid', `The encryption scheme [${encryptionScheme}] is not supported.`);
  let factor: number | undefined;
  if (source.factor !== undefined && source.factor !== null) {
    factor = typeof source.factor === 'string' && /^\d+$/.test(source.factor) ? Number(source.factor) : (source.factor as number);
    if (typeof factor !== 'number' || !Number.isInteger(factor) || factor < 1) {
      errors.add(`${p}.factor`, 'invalid', `[${p}.factor] must be a positive whole number.`);
      factor = undefined;
    }
  }
  const twoFactor = parseTwoFactor(source.twoFactor, errors, p, options.secrets);
  const memberships = parseMemberships(source.memberships, errors, p, options.now);

  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (value === null || (credentialFields as readonly string[]).includes(key) || (serverFields as readonly string[]).includes(key)) continue;
    fields[key] = value;
  }
  delete fields.email;
  delete fields.username;
  if (email) fields.email = email.toLowerCase();
  if (username) {
    fields.username = username;
    fields.usernameStatus = usernameStatus ?? 'ACTIVE';
  }
  if (twoFactor) fields.twoFactor = twoFactor;
  if (memberships) fields.memberships = memberships;
  return {
    fields,
    ...(email && { email: email.toLowerCase() }),
    ...(username && { username }),
    ...(typeof source.password === 'string' && { password: source.password }),
    ...(encryptionScheme && { encryptionScheme }),
    ...(factor !== undefined && { factor }),
    ...(typeof source.salt === 'string' && { salt: source.salt }),
  };
}

function isTimeZone(zone: string): boolean {
  timeZones ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (timeZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Two-factor methods: ids assigned, authenticator settings fixed to FusionAuth's only values, and the
 * TOTP secret sealed with a server key (it is never returned and never stored in plaintext).
 */
function parseTwoFactor(value: unknown, errors: FieldErrors, p: string, secrets: SecretBox | undefined): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    errors.add(`${p}.twoFactor`, 'couldNotConvert', `[${p}.twoFactor] must be an object.`);
    return undefined;
  }
  const methods = (value as { methods?: unknown }).methods;
  if (methods === undefined || methods === null) return { methods: [] };
  if (!Array.isArray(methods)) {
    errors.add(`${p}.twoFactor.methods`, 'couldNotConvert', `[${p}.twoFactor.methods] must be an array.`);
    return undefined;
  }
  const parsed = methods.map((raw, i) => {
    const name = `${p}.twoFactor.methods[${i}]`;
    const method = (raw ?? {}) as Record<string, unknown>;
    if (!['authenticator', 'email', 'sms'].includes(method.method as string)) errors.add(`${name}.method`, 'invalid', `[${name}.method] must be authenticator, email or sms.`);
    const result: Record<string, unknown> = { id: typeof method.id === 'string' ? method.id : randomUUID().slice(0, 4).toUpperCase(), method: method.method };
    if (method.method === 'authenticator') {
      // An update sends methods back without their secret (never returned): the server carries the sealed one over.
      if (typeof method.secret === 'string' && method.secret !== '' && secrets) result.sealedSecret = secrets.seal(TWO_FACTOR_SECRET_PURPOSE, method.secret);
      else if (typeof method.sealedSecret === 'string') result.sealedSecret = method.sealedSecret;
      else errors.add(`${name}.secret`, 'blank', `[${name}.secret] is required for the authenticator method.`);
      result.authenticator = { algorithm: 'HmacSHA1', codeLength: 6, timeStep: 30 };
    }
    if (method.method === 'email') {
      if (typeof method.email !== 'string' || !isEmail(method.email)) errors.add(`${name}.email`, 'notEmail', `[${name}.email] must be an email address.`);
      else result.email = method.email.toLowerCase();
    }
    if (method.method === 'sms') {
      if (typeof method.mobilePhone !== 'string' || method.mobilePhone === '') errors.add(`${name}.mobilePhone`, 'blank', `[${name}.mobilePhone] is required for the sms method.`);
      else result.mobilePhone = method.mobilePhone;
    }
    return result;
  });
  return { methods: parsed };
}

function parseMemberships(value: unknown, errors: FieldErrors, p: string, now: number): Record<string, unknown>[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    errors.add(`${p}.memberships`, 'couldNotConvert', `[${p}.memberships] must be an array.`);
    return undefined;
  }
  return value.map((raw, i) => {
    const membership = (raw ?? {}) as Record<string, unknown>;
    if (typeof membership.groupId !== 'string' || !/^[0-9a-f-]{36}$/i.test(membership.groupId)) errors.add(`${p}.memberships[${i}].groupId`, 'couldNotConvert', `[${p}.memberships[${i}].groupId] must be a UUID.`);
    return { ...membership, id: typeof membership.id === 'string' ? membership.id : randomUUID(), insertInstant: typeof membership.insertInstant === 'number' ? membership.insertInstant : now };
  });
}

/** The user as the API returns it: no sealed two-factor secrets. */
export function withoutSealedSecrets(user: Record<string, unknown>): Record<string, unknown> {
  const twoFactor = user.twoFactor as { methods?: Record<string, unknown>[] } | undefined;
  if (!twoFactor?.methods) return user;
  return { ...user, twoFactor: { ...twoFactor, methods: twoFactor.methods.map(({ sealedSecret: _s, secret: _t, ...rest }) => rest) } };
}
