import { CRYPT64_ALPHABET } from './crypt64.js';
import { ARGON2ID_PARAMETERS, PASSWORD_SCHEMES } from './password-schemes.js';
import type { PasswordScheme, StoredPassword } from './password-schemes.js';

export type { StoredPassword } from './password-schemes.js';
export { ARGON2ID_IMPORT_LIMITS, ARGON2ID_PARAMETERS } from './password-schemes.js';

/** Scheme names accepted by `hash` and found in stored passwords. */
export type PasswordSchemeName =
  | 'argon2id'
  | 'salted-md5'
  | 'salted-sha256'
  | 'salted-hmac-sha256'
  | 'salted-pbkdf2-hmac-sha256'
  | 'salted-pbkdf2-hmac-sha256-512'
  | 'salted-pbkdf2-hmac-sha512-512'
  | 'bcrypt'
  | 'phpass-md5'
  | 'phpass-sha512';

/** Idstream hashes new passwords with argon2id; FusionAuth's own default is `salted-pbkdf2-hmac-sha256` at 24 000. */
export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = { scheme: 'argon2id', factor: ARGON2ID_PARAMETERS.timeCost };

/** The tenant's current scheme: what new and re-hashed passwords use. */
export interface PasswordPolicy {
  scheme: PasswordSchemeName;
  /** Defaults to the scheme's own default factor. */
  factor?: number;
}

export interface HashOptions {
  scheme: PasswordSchemeName;
  factor?: number;
  /** Normally generated; given only to reproduce a known hash. Base64, except crypt64 for bcrypt and phpass. */
  salt?: string;
}

export function isPasswordScheme(name: string): name is PasswordSchemeName {
  return PASSWORD_SCHEMES.has(name);
}

function schemeOf(name: string): PasswordScheme {
  const scheme = PASSWORD_SCHEMES.get(name);
  if (!scheme) throw new RangeError(`Unknown password encryption scheme [${name}]`);
  return scheme;
}

/** The factor FusionAuth uses for a scheme when none is given. */
export function defaultFactor(scheme: PasswordSchemeName): number {
  return schemeOf(scheme).defaultFactor;
}

/**
 * Why an imported hash cannot be used (unknown scheme, factor out of range, salt in the wrong alphabet,
 * a hash that is not the scheme's output, an argon2id hash past ARGON2ID_IMPORT_LIMITS), or null.
 * Import validation calls this so bad rows are a 400, not users who can never log in.
 */
export function invalidStoredPassword(stored: StoredPassword): string | null {
  const scheme = PASSWORD_SCHEMES.get(stored.encryptionScheme);
  if (!scheme) return `unknown encryptionScheme [${stored.encryptionScheme}]`;
  if (stored.hash.length === 0) return 'password hash is empty';
  return scheme.invalidParameters(stored.factor, stored.salt) ?? scheme.invalidHash(stored.hash);
}

/** Hashes a plaintext password. Throws RangeError for an unknown scheme or unusable factor/salt. */
export async function hash(password: string, options: HashOptions): Promise<StoredPassword> {
  const scheme = schemeOf(options.scheme);
  return scheme.hash(password, options.factor ?? scheme.defaultFactor, options.salt);
}

/** True only when `password` matches; false for a wrong password, an unknown scheme or a malformed record. */
export async function verify(password: string, stored: StoredPassword): Promise<boolean> {
  const scheme = PASSWORD_SCHEMES.get(stored.encryptionScheme);
  if (!scheme) return false;
  return scheme.verify(password, stored);
}

/**
 * Whether a password that just verified should be re-hashed under `policy` (FusionAuth's
 * "re-hash on login"): another scheme, another factor, or other argon2 memory/lanes/version.
 */
export function needsRehash(stored: StoredPassword, policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY): boolean {
  if (stored.encryptionScheme !== policy.scheme) return true;
  const scheme = schemeOf(policy.scheme);
  const factor = policy.factor ?? scheme.defaultFactor;
  return scheme.parametersDiffer?.(stored, factor) ?? stored.factor !== factor;
}

const dummies = new Map<string, Promise<StoredPassword>>();

/**
 * Spends the time of a real `verify` under `policy` when no user matched the login id, so response time
 * does not reveal which accounts exist. Always resolves false. The first call per policy also creates the
 * dummy hash: call it once at start-up to warm it.
 */
export async function verifyDummy(password: string, policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY): Promise<false> {
  const factor = policy.factor ?? defaultFactor(policy.scheme);
  const key = `${policy.scheme}:${factor}`;
  let dummy = dummies.get(key);
  if (!dummy) {
    dummy = hash('idstream-dummy-password', { scheme: policy.scheme, factor });
    dummies.set(key, dummy);
  }
  await verify(password, await dummy);
  return false;
}

const BCRYPT_MODULAR = /^\$2[abxy]?\$(\d{2})\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/;
const PHPASS_MODULAR = /^\$([PHS])\$([./0-9A-Za-z])([./0-9A-Za-z]{8})([./0-9A-Za-z]+)$/;

/**
 * Splits a modular-crypt string from a legacy database into FusionAuth's import fields:
 * bcrypt `$2a$10$…` and phpass `$P$`/`$H$` (MD5) or Drupal 7 `$S$` (SHA-512). Null if not one of these.
 */
export function fromModularCrypt(encoded: string): StoredPassword | null {
  const bcryptParts = BCRYPT_MODULAR.exec(encoded);
  if (bcryptParts) {
    const [, cost, salt, digest] = bcryptParts as unknown as [string, string, string, string];
    return { encryptionScheme: 'bcrypt', factor: Number(cost), salt, hash: digest };
  }
  const phpassParts = PHPASS_MODULAR.exec(encoded);
  if (phpassParts) {
    const [, kind, log2Char, salt, digest] = phpassParts as unknown as [string, string, string, string, string];
    const log2 = CRYPT64_ALPHABET.indexOf(log2Char);
    // phpass accepts 2^7..2^30 rounds; beyond 2^24 is no real hash, only a way to stall the server.
    if (log2 < 7 || log2 > 24) return null;
    return { encryptionScheme: kind === 'S' ? 'phpass-sha512' : 'phpass-md5', factor: 2 ** log2, salt, hash: digest };
  }
  return null;
}
