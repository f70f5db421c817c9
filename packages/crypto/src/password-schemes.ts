import { createHmac, hash as digest, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { hash as argon2Hash, parseOptions, verify as argon2Verify, type Algorithm } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { crypt64Encode, isCrypt64 } from './crypt64.js';
import { iterate, type IterateArgs } from './derive-kernels.mjs';
import { deriveOffThread } from './derive-pool.js';

const pbkdf2Async = promisify(pbkdf2);
/**
 * Iterated digests of at most this many rounds are computed in place (microseconds; a hand-over to a
 * worker thread would cost more); longer ones on a worker thread (derive-pool.ts).
 */
const INLINE_ROUNDS = 64;

async function iterateRounds(args: IterateArgs): Promise<Buffer> {
  if (args.rounds <= INLINE_ROUNDS) return iterate(args);
  const bytes = await deriveOffThread('iterate', args);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A password as stored: FusionAuth's import shape (`encryptionScheme`, `factor`, `salt`, `password` → `hash`). */
export interface StoredPassword {
  encryptionScheme: string;
  factor: number;
  salt: string;
  hash: string;
}

/** One hashing scheme. `verify` compares derived bytes in constant time and is false on any malformed input. */
export interface PasswordScheme {
  readonly name: string;
  readonly defaultFactor: number;
  /** Why a factor/salt pair cannot be used with this scheme, or null when it can. */
  invalidParameters(factor: number, salt: string): string | null;
  /** Why a stored hash cannot be this scheme's output (encoding, length, for argon2id its parameters), or null. */
  invalidHash(hash: string): string | null;
  /** Whether `stored` was made with other parameters than `factor` asks for; by default, another factor. */
  parametersDiffer?(stored: StoredPassword, factor: number): boolean;
  hash(password: string, factor: number, salt?: string): Promise<StoredPassword>;
  verify(password: string, stored: StoredPassword): Promise<boolean>;
}

function isIntegerIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;
const HEX_PATTERN = /^[0-9a-fA-F]+$/;

function decodeBase64Salt(salt: string): Buffer {
  return Buffer.from(salt, 'base64');
}

/**
 * Decodes a stored digest. FusionAuth requires base64, but its own import example ships hex for
 * `salted-sha256`; hex of the exact digest length is unambiguous (never a valid base64 length), so it is
 * accepted rather than silently locking those users out.
 */
function decodeDigest(encoded: string, byteLength: number): Buffer | null {
  if (encoded.length === byteLength * 2 && HEX_PATTERN.test(encoded)) return Buffer.from(encoded, 'hex');
  if (!BASE64_PATTERN.test(encoded)) return null;
  const bytes = Buffer.from(encoded, 'base64');
  return bytes.length === byteLength ? bytes : null;
}

function equalBytes(expected: Buffer | null, actual: Buffer): boolean {
  return expected !== null && expected.length === actual.length && timingSafeEqual(expected, actual);
}

function equalAscii(expected: string, actual: string): boolean {
  return equalBytes(Buffer.from(expected, 'latin1'), Buffer.from(actual, 'latin1'));
}

/** FusionAuth's default salt: 32 random bytes, base64. */
function randomBase64Salt(): string {
  return randomBytes(32).toString('base64');
}

function invalidBase64Salt(salt: string): string | null {
  return BASE64_PATTERN.test(salt) ? null : 'salt must be base64';
}

type Derive = (password: string, salt: string, factor: number) => Promise<Buffer>;

/** Schemes whose output is plain bytes stored as base64 next to a base64 salt (all FusionAuth built-ins but bcrypt/phpass). */
function base64Scheme(options: {
  name: string;
  defaultFactor: number;
  maxFactor: number;
  digestLength: number;
  derive: Derive;
}): PasswordScheme {
  const { name, defaultFactor, maxFactor, digestLength, derive } = options;
  const invalidParameters = (factor: number, salt: string) =>
    isIntegerIn(factor, 1, maxFactor) ? invalidBase64Salt(salt) : `factor must be an integer from 1 to ${maxFactor}`;
  return {
    name,
    defaultFactor,
    invalidParameters,
    invalidHash: (hash) => (decodeDigest(hash, digestLength) ? null : `hash must be the base64 (or hex) of ${digestLength} bytes`),
    async hash(password, factor, salt = randomBase64Salt()) {
      const problem = invalidParameters(factor, salt);
      if (problem) throw new RangeError(`${name}: ${problem}`);
      const derived = await derive(password, salt, factor);
      return { encryptionScheme: name, factor, salt, hash: derived.toString('base64') };
    },
    async verify(password, stored) {
      if (invalidParameters(stored.factor, stored.salt)) return false;
      const expected = decodeDigest(stored.hash, digestLength);
      return equalBytes(expected, await derive(password, stored.salt, stored.factor));
    },
  };
}

/** FusionAuth's salted digests: digest applied `factor` times to UTF-8(password) ‖ base64decode(salt). */
function iteratedDigest(algorithm: 'md5' | 'sha256'): Derive {
  return async (password, salt, factor) => {
    const value = Buffer.concat([Buffer.from(password, 'utf8'), decodeBase64Salt(salt)]);
    return iterateRounds({ algorithm, value, rounds: factor });
  };
}

function pbkdf2Derive(digest: 'sha256' | 'sha512', keyBytes: number): Derive {
  return (password, salt, factor) => pbkdf2Async(Buffer.from(password, 'utf8'), decodeBase64Salt(salt), factor, keyBytes, digest);
}

/**
 * phpass portable hashes (WordPress `$P$`, phpBB `$H$`, Drupal 7 `$S$`). As in FusionAuth the salt is the
 * 8 crypt64 characters used as-is (not base64-decoded) and `factor` is the iteration count, 2^(log2 char).
 */
function phpassScheme(options: { name: string; algorithm: 'md5' | 'sha512'; defaultFactor: number; hashChars: number }): PasswordScheme {
  const { name, algorithm, defaultFactor, hashChars } = options;
  const maxFactor = 1 << 24;
  const invalidParameters = (factor: number, salt: string) => {
    if (!isIntegerIn(factor, 1, maxFactor)) return `factor must be an integer from 1 to ${maxFactor}`;
    return salt.length > 0 && isCrypt64(salt) ? null : 'salt must be crypt64 characters [./0-9A-Za-z]';
  };
  const derive = async (password: string, salt: string, factor: number) => {
    const passwordBytes = Buffer.from(password, 'utf8');
    const value = digest(algorithm, Buffer.concat([Buffer.from(salt, 'utf8'), passwordBytes]), 'buffer');
    return crypt64Encode(await iterateRounds({ algorithm, value, suffix: passwordBytes, rounds: factor })).slice(0, hashChars);
  };
  return {
    name,
    defaultFactor,
    invalidParameters,
    invalidHash: (hash) => (hash.length === hashChars && isCrypt64(hash) ? null : `hash must be ${hashChars} crypt64 characters [./0-9A-Za-z]`),
    async hash(password, factor, salt = crypt64Encode(randomBytes(6))) {
      const problem = invalidParameters(factor, salt);
      if (problem) throw new RangeError(`${name}: ${problem}`);
      return { encryptionScheme: name, factor, salt, hash: await derive(password, salt, factor) };
    },
    async verify(password, stored) {
      if (invalidParameters(stored.factor, stored.salt) || stored.hash.length !== hashChars) return false;
      return equalAscii(stored.hash, await derive(password, stored.salt, stored.factor));
    },
  };
}

const BCRYPT_SALT = /^[./A-Za-z0-9]{22}$/;
const BCRYPT_HASH_CHARS = 31;
const BCRYPT_HASH = /^[./A-Za-z0-9]{31}$/;

/**
 * bcrypt split the FusionAuth way: `$2a$10$<22-char salt><31-char hash>` → factor 10, salt, hash.
 * The version letter is dropped on import; `$2a$`, `$2b$` and `$2y$` compute the same value here.
 */
function bcryptScheme(): PasswordScheme {
  const name = 'bcrypt';
  const invalidParameters = (factor: number, salt: string) => {
    if (!isIntegerIn(factor, 4, 31)) return 'factor must be an integer from 4 to 31';
    return BCRYPT_SALT.test(salt) ? null : 'salt must be 22 bcrypt base64 characters';
  };
  const derive = async (password: string, salt: string, factor: number) => {
    // bcryptjs is JavaScript: even its asynchronous form spends every round on the calling thread.
    const full = await deriveOffThread('bcrypt', { password, setting: `$2a$${String(factor).padStart(2, '0')}$${salt}` });
    return full.slice(-BCRYPT_HASH_CHARS);
  };
  return {
    name,
    defaultFactor: 10,
    invalidParameters,
    invalidHash: (hash) => (BCRYPT_HASH.test(hash) ? null : `hash must be ${BCRYPT_HASH_CHARS} bcrypt base64 characters`),
    async hash(password, factor, salt = bcrypt.encodeBase64(randomBytes(16), 16)) {
      const problem = invalidParameters(factor, salt);
      if (problem) throw new RangeError(`${name}: ${problem}`);
      return { encryptionScheme: name, factor, salt, hash: await derive(password, salt, factor) };
    },
    async verify(password, stored) {
      if (invalidParameters(stored.factor, stored.salt) || stored.hash.length !== BCRYPT_HASH_CHARS) return false;
      return equalAscii(stored.hash, await derive(password, stored.salt, stored.factor));
    },
  };
}

/** OWASP Password Storage Cheat Sheet argon2id parameters: 19 MiB, 2 passes, 1 lane. */
export const ARGON2ID_PARAMETERS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** `Algorithm.Argon2id`: the package declares it as a const enum, which isolated modules cannot read. */
const ARGON2ID_ALGORITHM = 2 as Algorithm;

/**
 * The most an imported argon2id hash may ask of a login: 2 GiB (RFC 9106's first recommended setting,
 * m=2 GiB, t=1), and 100× the memory passes of Idstream's own parameters (m·t), about 1–2 s of one core
 * per verify on the bench machine. Every setting RFC 9106 and OWASP recommend fits; a hash past these
 * holds a pool thread for longer than any login attempt should, at the attacker's choice of attempts.
 */
export const ARGON2ID_IMPORT_LIMITS = { memoryCostKiB: 2 ** 21, memoryPasses: 100 * ARGON2ID_PARAMETERS.memoryCost * ARGON2ID_PARAMETERS.timeCost } as const;

/** `Version.V0x13` (v=19), the current argon2 version; a const enum in the package's types. */
const ARGON2_VERSION_0x13 = 1;

/**
 * Whether an argon2id PHC string was made with other parameters than Idstream's at time cost
 * `timeCost` (version, memory, lanes or passes), or cannot be read: a reason to re-hash on login.
 */
function argon2idParametersDiffer(hash: string, timeCost: number): boolean {
  try {
    const current = parseOptions(hash);
    return (
      current.version !== ARGON2_VERSION_0x13 ||
      current.memoryCost !== ARGON2ID_PARAMETERS.memoryCost ||
      current.parallelism !== ARGON2ID_PARAMETERS.parallelism ||
      current.timeCost !== timeCost
    );
  } catch {
    return true;
  }
}

function invalidArgon2idHash(hash: string): string | null {
  const shape = 'hash must be an argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash)';
  if (!hash.startsWith('$argon2id$')) return shape;
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(hash);
  } catch {
    return shape;
  }
  if (options.algorithm !== ARGON2ID_ALGORITHM) return shape;
  if (options.memoryCost > ARGON2ID_IMPORT_LIMITS.memoryCostKiB) return `argon2id memory m=${options.memoryCost} is above ${ARGON2ID_IMPORT_LIMITS.memoryCostKiB} KiB (2 GiB)`;
  if (options.memoryCost * options.timeCost > ARGON2ID_IMPORT_LIMITS.memoryPasses) {
    return `argon2id m·t=${options.memoryCost * options.timeCost} is above ${ARGON2ID_IMPORT_LIMITS.memoryPasses} (100× Idstream's own m=${ARGON2ID_PARAMETERS.memoryCost}, t=${ARGON2ID_PARAMETERS.timeCost})`;
  }
  return null;
}

/**
 * Idstream's own scheme. The PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) is the whole record, so
 * `salt` stays empty and `factor` mirrors t. argon2 runs on the libuv pool, in RustCrypto's
 * implementation (`@node-rs/argon2`): on this project's 2-core machines it verifies the same OWASP
 * parameters 1.45–1.7× faster than the reference C code of the `argon2` package (which it replaced),
 * and the same hashes: the PHC string is the standard one either way. Its verify compares in
 * constant time.
 */
function argon2idScheme(): PasswordScheme {
  const name = 'argon2id';
  const invalidParameters = (factor: number, salt: string) => {
    if (!isIntegerIn(factor, 1, 100)) return 'factor (argon2 time cost) must be an integer from 1 to 100';
    if (salt === '') return null;
    return BASE64_PATTERN.test(salt) && decodeBase64Salt(salt).length >= 8 ? null : 'salt must be base64 of at least 8 bytes';
  };
  return {
    name,
    defaultFactor: ARGON2ID_PARAMETERS.timeCost,
    invalidParameters,
    invalidHash: invalidArgon2idHash,
    parametersDiffer: (stored, factor) => argon2idParametersDiffer(stored.hash, factor),
    async hash(password, factor, salt = '') {
      const problem = invalidParameters(factor, salt);
      if (problem) throw new RangeError(`${name}: ${problem}`);
      const phc = await argon2Hash(password, {
        algorithm: ARGON2ID_ALGORITHM,
        memoryCost: ARGON2ID_PARAMETERS.memoryCost,
        parallelism: ARGON2ID_PARAMETERS.parallelism,
        timeCost: factor,
        ...(salt === '' ? {} : { salt: decodeBase64Salt(salt) }),
      });
      return { encryptionScheme: name, factor, salt: '', hash: phc };
    },
    async verify(password, stored) {
      if (!stored.hash.startsWith('$argon2id$')) return false;
      try {
        return await argon2Verify(stored.hash, password);
      } catch {
        return false;
      }
    },
  };
}

/** Every built-in scheme by its FusionAuth name (`argon2id` is Idstream's addition). */
export const PASSWORD_SCHEMES: ReadonlyMap<string, PasswordScheme> = new Map(
  [
    argon2idScheme(),
    base64Scheme({ name: 'salted-md5', defaultFactor: 20_000, maxFactor: 10_000_000, digestLength: 16, derive: iteratedDigest('md5') }),
    base64Scheme({ name: 'salted-sha256', defaultFactor: 20_000, maxFactor: 10_000_000, digestLength: 32, derive: iteratedDigest('sha256') }),
    base64Scheme({
      name: 'salted-hmac-sha256',
      // FusionAuth ignores the factor for HMAC; any positive value is accepted and kept.
      defaultFactor: 1,
      maxFactor: Number.MAX_SAFE_INTEGER,
      digestLength: 32,
      derive: async (password, salt) => createHmac('sha256', decodeBase64Salt(salt)).update(password, 'utf8').digest(),
    }),
    base64Scheme({ name: 'salted-pbkdf2-hmac-sha256', defaultFactor: 24_000, maxFactor: 10_000_000, digestLength: 32, derive: pbkdf2Derive('sha256', 32) }),
    base64Scheme({ name: 'salted-pbkdf2-hmac-sha256-512', defaultFactor: 24_000, maxFactor: 10_000_000, digestLength: 64, derive: pbkdf2Derive('sha256', 64) }),
    base64Scheme({ name: 'salted-pbkdf2-hmac-sha512-512', defaultFactor: 24_000, maxFactor: 10_000_000, digestLength: 64, derive: pbkdf2Derive('sha512', 64) }),
    bcryptScheme(),
    phpassScheme({ name: 'phpass-md5', algorithm: 'md5', defaultFactor: 2048, hashChars: 22 }),
    // Drupal 7 keeps 43 characters (258 bits) of the 86-character SHA-512 encoding.
    phpassScheme({ name: 'phpass-sha512', algorithm: 'sha512', defaultFactor: 32_768, hashChars: 43 }),
  ].map((scheme) => [scheme.name, scheme]),
);
