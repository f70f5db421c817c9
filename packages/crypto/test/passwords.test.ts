import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  ARGON2ID_IMPORT_LIMITS,
  ARGON2ID_PARAMETERS,
  defaultFactor,
  fromModularCrypt,
  hash,
  invalidStoredPassword,
  needsRehash,
  verify,
  verifyDummy,
} from '../src/passwords.js';
import type { PasswordSchemeName, StoredPassword } from '../src/passwords.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const hexToB64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

interface Vector {
  source: string;
  password: string;
  stored: StoredPassword;
}

function stored(encryptionScheme: PasswordSchemeName, factor: number, salt: string, digest: string): StoredPassword {
  return { encryptionScheme, factor, salt, hash: digest };
}

function split(encoded: string): StoredPassword {
  const parts = fromModularCrypt(encoded);
  if (!parts) throw new Error(`not modular crypt: ${encoded}`);
  return parts;
}

// Every expected value below was published by a third party; none was produced by this package.
const vectors: Vector[] = [
  {
    source: 'FusionAuth import docs: md5("12345678") hex, no salt',
    password: '12345678',
    stored: stored('salted-md5', 1, '', hexToB64('25d55ad283aa400af464c76d713c07ad')),
  },
  {
    source: 'same digest, password ‖ salt order: "1234" + salt "5678"',
    password: '1234',
    stored: stored('salted-md5', 1, b64('5678'), hexToB64('25d55ad283aa400af464c76d713c07ad')),
  },
  {
    source: 'FIPS 180-2 SHA-256("abc") as "ab" + salt "c"',
    password: 'ab',
    stored: stored('salted-sha256', 1, b64('c'), hexToB64('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')),
  },
  {
    source: 'double SHA-256("abc") (Bitcoin sha256d) as factor 2',
    password: 'abc',
    stored: stored('salted-sha256', 2, '', hexToB64('4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358')),
  },
  {
    source: 'RFC 4231 test case 2: key "Jefe" is the salt',
    password: 'what do ya want for nothing?',
    stored: stored('salted-hmac-sha256', 1, b64('Jefe'), hexToB64('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843')),
  },
  {
    source: 'RFC 7914 §11 PBKDF2-HMAC-SHA256 passwd/salt c=1 (first 32 bytes)',
    password: 'passwd',
    stored: stored('salted-pbkdf2-hmac-sha256', 1, b64('salt'), hexToB64('55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc')),
  },
  {
    source: 'RFC 7914 §11 PBKDF2-HMAC-SHA256 Password/NaCl c=80000 (first 32 bytes)',
    password: 'Password',
    stored: stored('salted-pbkdf2-hmac-sha256', 80_000, b64('NaCl'), hexToB64('4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56')),
  },
  {
    source: 'RFC 7914 §11 PBKDF2-HMAC-SHA256 passwd/salt c=1, 64 bytes',
    password: 'passwd',
    stored: stored(
      'salted-pbkdf2-hmac-sha256-512',
      1,
      b64('salt'),
      hexToB64('55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783'),
    ),
  },
  {
    source: 'FusionAuth example plugin test (Keycloak hash, 27500 rounds) #1',
    password: 'password',
    stored: stored('salted-pbkdf2-hmac-sha256-512', 27_500, 'jVqbuA9k2Mlo37OWXBMKLw==', 'LjFqvhPuUHJdQvWIwVQfqxjeujAWqG/DVQRFoOv62/cTznl9ob4jwWwY6i1RrwGviu5iNPU5VIp03SxDyetyfw=='),
  },
  {
    source: 'FusionAuth example plugin test (Keycloak hash, 27500 rounds) #2',
    password: 'password',
    stored: stored('salted-pbkdf2-hmac-sha256-512', 27_500, 'XnYZtiSCmFE5HF/ZplNCow==', 'OFb32+cOm0sgtEcmNiGC83A27Sk1gb0fynv0RUXBfFXEJ/EieUPlx4uDAGA/q0/FkX2iHO45qqoIqBesiYMIUg=='),
  },
  {
    source: 'PBKDF2-HMAC-SHA512 password/salt c=1 (published vector)',
    password: 'password',
    stored: stored(
      'salted-pbkdf2-hmac-sha512-512',
      1,
      b64('salt'),
      hexToB64('867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce'),
    ),
  },
  { source: 'Openwall crypt_blowfish test vector', password: 'U*U', stored: split('$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW') },
  { source: 'Openwall crypt_blowfish test vector', password: 'U*U*', stored: split('$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK') },
  { source: 'Openwall crypt_blowfish test vector', password: 'U*U*U', stored: split('$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a') },
  { source: 'Openwall crypt_blowfish test vector (empty)', password: '', stored: split('$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy') },
  { source: 'phpass test.php / passlib', password: 'test12345', stored: split('$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0') },
  { source: 'FusionAuth phpass example test (WordPress)', password: '!?!#?#?#$&@&@!&@', stored: split('$P$Buvd5FQxkeXJnDarN7..wRMwRKJeZ40') },
  { source: 'FusionAuth phpass example test (WordPress)', password: '123456', stored: split('$P$BVaXtDXwf/ceSVp8VpLKx8bS2Y4O5F/') },
  { source: 'passlib phpass ($H$ phpBB)', password: 'test1', stored: split('$H$9aaaaaSXBjgypwqm.JsMssPLiS8YQ00') },
  { source: 'zitadel/passwap Drupal 7 vector', password: 'password', stored: split('$S$ErandomsaOpYrAZqwxGynirQbWYCb3ejW4BwGH81LJcOzbzeVd02') },
];

describe('known vectors', () => {
  it.each(vectors)('$stored.encryptionScheme: $source', async ({ password, stored: record }) => {
    expect(invalidStoredPassword(record)).toBeNull();
    expect(await verify(password, record)).toBe(true);
    expect(await verify(`${password}x`, record)).toBe(false);
    // Hashing the plaintext again with the stored salt and factor must reproduce the published value exactly.
    const again = await hash(password, { scheme: record.encryptionScheme as PasswordSchemeName, factor: record.factor, salt: record.salt });
    expect(again).toEqual(record);
  });

  it('verifies the P-H-C reference argon2id string', async () => {
    // `echo -n password | argon2 somesalt -id -t 2 -m 16 -p 4 -l 32 -e` (reference C implementation)
    const reference = stored('argon2id', 2, '', '$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo');
    expect(await verify('password', reference)).toBe(true);
    expect(await verify('Password', reference)).toBe(false);
    const again = await hash('password', { scheme: 'argon2id', salt: b64('somesalt') });
    expect(again.hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$c29tZXNhbHQ\$/);
  });
});

describe('FusionAuth field shapes', () => {
  it('splits bcrypt the way the import docs show', () => {
    expect(fromModularCrypt('$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy')).toEqual({
      encryptionScheme: 'bcrypt',
      factor: 10,
      salt: 'N9qo8uLOickgx2ZMRZoMye',
      hash: 'IjZAgcfl7p92ldGxad68LJZdL17lhWy',
    });
  });

  it('splits phpass the way the FusionAuth example does (factor = 2^log2)', () => {
    expect(fromModularCrypt('$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0')).toEqual({
      encryptionScheme: 'phpass-md5',
      factor: 2048,
      salt: 'IQRaTwmf',
      hash: 'eRo7ud9Fh4E2PdI0S3r.L0',
    });
    expect(fromModularCrypt('$S$ErandomsaOpYrAZqwxGynirQbWYCb3ejW4BwGH81LJcOzbzeVd02')?.factor).toBe(65_536);
    expect(fromModularCrypt('plain')).toBeNull();
    expect(fromModularCrypt('$P$zIQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0')).toBeNull();
  });

  it('accepts a hex digest of exact length (the import example ships hex)', async () => {
    const hex = stored('salted-md5', 1, '', '25d55ad283aa400af464c76d713c07ad');
    expect(await verify('12345678', hex)).toBe(true);
    expect(await verify('12345679', hex)).toBe(false);
  });

  it('uses FusionAuth default factors and 32-byte base64 salts', async () => {
    expect(defaultFactor('salted-pbkdf2-hmac-sha256')).toBe(24_000);
    expect(defaultFactor('argon2id')).toBe(2);
    const record = await hash('secret', { scheme: 'salted-pbkdf2-hmac-sha256' });
    expect(record.factor).toBe(24_000);
    expect(Buffer.from(record.salt, 'base64')).toHaveLength(32);
    expect(Buffer.from(record.hash, 'base64')).toHaveLength(32);
    expect(await verify('secret', record)).toBe(true);
  });

  it.each(['salted-md5', 'salted-sha256', 'salted-hmac-sha256', 'salted-pbkdf2-hmac-sha256-512', 'bcrypt', 'phpass-md5', 'phpass-sha512'] as const)(
    'round-trips %s with a generated salt',
    async (scheme) => {
      const record = await hash('pässword ✓', { scheme, factor: scheme === 'bcrypt' ? 4 : undefined });
      expect(invalidStoredPassword(record)).toBeNull();
      expect(await verify('pässword ✓', record)).toBe(true);
      expect(await verify('password ✓', record)).toBe(false);
    },
  );
});

describe('rejections', () => {
  const good = vectors[0]!.stored;

  it('is false for tampered hashes, salts and factors', async () => {
    expect(await verify('12345678', { ...good, hash: hexToB64('25d55ad283aa400af464c76d713c07ae') })).toBe(false);
    expect(await verify('12345678', { ...good, salt: b64('x') })).toBe(false);
    expect(await verify('12345678', { ...good, factor: 2 })).toBe(false);
    const bcrypt = vectors.find((v) => v.password === 'U*U')!.stored;
    expect(await verify('U*U', { ...bcrypt, hash: `${bcrypt.hash.slice(0, -1)}X` })).toBe(false);
  });

  it('is false, not an exception, for malformed or unknown records', async () => {
    expect(await verify('x', stored('salted-md5', 1, '', 'not base64!'))).toBe(false);
    expect(await verify('x', stored('salted-md5', 0, '', good.hash))).toBe(false);
    expect(await verify('x', { ...good, encryptionScheme: 'rot13' })).toBe(false);
    expect(await verify('x', stored('bcrypt', 10, 'short', 'x'.repeat(31)))).toBe(false);
    expect(await verify('x', stored('argon2id', 2, '', '$argon2id$garbage'))).toBe(false);
    expect(await verify('x', stored('argon2id', 2, '', '$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG'))).toBe(false);
  });

  it('explains unusable import rows', () => {
    expect(invalidStoredPassword({ ...good, encryptionScheme: 'rot13' })).toMatch(/unknown/);
    expect(invalidStoredPassword(stored('bcrypt', 99, 'N9qo8uLOickgx2ZMRZoMye', 'h'))).toMatch(/factor/);
    expect(invalidStoredPassword(stored('phpass-md5', 2048, 'b@d', 'h'))).toMatch(/salt/);
    expect(invalidStoredPassword(stored('salted-sha256', 20_000, '%%%', 'h'))).toMatch(/base64/);
  });

  it('explains import rows whose hash cannot be the scheme output (they would never log in)', async () => {
    // Every published vector passes (those are real outputs, in base64, hex, crypt64 or PHC form).
    for (const vector of vectors) expect(invalidStoredPassword(vector.stored)).toBeNull();
    expect(invalidStoredPassword(await hash('pw', { scheme: 'argon2id' }))).toBeNull();
    const sha256 = vectors.find((v) => v.stored.encryptionScheme === 'salted-sha256')!.stored;
    expect(invalidStoredPassword({ ...sha256, hash: `${sha256.hash}\n` })).toMatch(/base64 \(or hex\) of 32 bytes/);
    expect(invalidStoredPassword({ ...sha256, hash: hexToB64('00'.repeat(31)) })).toMatch(/32 bytes/);
    expect(invalidStoredPassword(stored('bcrypt', 10, 'N9qo8uLOickgx2ZMRZoMye', 'x'.repeat(30)))).toMatch(/31 bcrypt/);
    expect(invalidStoredPassword(stored('phpass-md5', 2048, 'abcdefgh', 'x'.repeat(21)))).toMatch(/22 crypt64/);
    const phc = (parameters: string) => stored('argon2id', 2, '', `$argon2id$v=19$${parameters}$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo`);
    expect(invalidStoredPassword(stored('argon2id', 2, '', '$argon2id$garbage'))).toMatch(/PHC string/);
    expect(invalidStoredPassword(stored('argon2id', 2, '', '$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG'))).toMatch(/PHC string/);
    // RFC 9106's first recommendation (2 GiB, one pass, 4 lanes) and OWASP's heaviest fit; more does not.
    expect(invalidStoredPassword(phc('m=2097152,t=1,p=4'))).toBeNull();
    expect(invalidStoredPassword(phc('m=47104,t=1,p=1'))).toBeNull();
    expect(invalidStoredPassword(phc('m=4194304,t=1,p=1'))).toMatch(/above 2097152 KiB/);
    expect(invalidStoredPassword(phc(`m=${ARGON2ID_PARAMETERS.memoryCost},t=${2 * 100 + 1},p=1`))).toMatch(new RegExp(`above ${ARGON2ID_IMPORT_LIMITS.memoryPasses}`));
  });

  it('refuses to hash with an unknown scheme or bad factor', async () => {
    await expect(hash('x', { scheme: 'rot13' as PasswordSchemeName })).rejects.toThrow(RangeError);
    await expect(hash('x', { scheme: 'bcrypt', factor: 3 })).rejects.toThrow(RangeError);
    await expect(hash('x', { scheme: 'salted-sha256', factor: 1.5 })).rejects.toThrow(RangeError);
  });
});

describe('argon2id', () => {
  it('hashes with the OWASP parameters and keeps the salt inside the PHC string', async () => {
    const record = await hash('correct horse', { scheme: 'argon2id' });
    expect(record).toMatchObject({ encryptionScheme: 'argon2id', factor: ARGON2ID_PARAMETERS.timeCost, salt: '' });
    expect(record.hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verify('correct horse', record)).toBe(true);
    expect(await verify('correct horsE', record)).toBe(false);
  });

  it('verifies and reproduces what the argon2 package (0.44.0, used before 2026-11-24) stored', async () => {
    // Hashed by `argon2.hash('bench-password-1', { type: argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 })`:
    // users created before the switch to @node-rs/argon2 keep logging in, and their records need no re-hash.
    const before = stored('argon2id', 2, '', '$argon2id$v=19$m=19456,t=2,p=1$llhb+kfRAnaEA0QYwu2ZLg$ywEkJ1N2WpOCLf/DVgfYsqiwqGtwYbT026ip15PqQNQ');
    expect(await verify('bench-password-1', before)).toBe(true);
    expect(await verify('bench-password-2', before)).toBe(false);
    expect(needsRehash(before)).toBe(false);
    expect(await hash('bench-password-1', { scheme: 'argon2id', salt: 'llhb+kfRAnaEA0QYwu2ZLg==' })).toEqual(before);
  });

  it('does not block the event loop while hashing', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await hash('x', { scheme: 'argon2id' });
    await hash('y', { scheme: 'salted-sha256', factor: 50_000 });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(3);
  });
});

describe('schemes computed in JavaScript', () => {
  it('give the plain loop\'s value on either side of the hand-over to a worker thread', async () => {
    // Independent of the package: FusionAuth's definition, digest applied `factor` times to password ‖ salt.
    const reference = (algorithm: 'md5' | 'sha256', password: string, salt: Buffer, factor: number) => {
      let value = Buffer.concat([Buffer.from(password, 'utf8'), salt]);
      for (let round = 0; round < factor; round++) value = createHash(algorithm).update(value).digest();
      return value.toString('base64');
    };
    const salt = Buffer.from('0123456789abcdef0123456789abcdef');
    for (const scheme of ['salted-md5', 'salted-sha256'] as const) {
      for (const factor of [64, 65, 20_000]) {
        const expected = reference(scheme === 'salted-md5' ? 'md5' : 'sha256', 'pässword', salt, factor);
        const record = await hash('pässword', { scheme, factor, salt: salt.toString('base64') });
        expect(record.hash, `${scheme} × ${factor}`).toBe(expected);
        expect(await verify('pässword', record)).toBe(true);
        expect(await verify('password', record)).toBe(false);
      }
    }
  });

  it('leave the calling thread free: bcrypt, phpass and long salted digests run on worker threads', async () => {
    // Before, a bcrypt cost-10 login held the API thread for ~80 ms (bcryptjs is JavaScript), and a
    // 20,000-round salted-sha256 one ~27 ms; every other request waited its turn beside it.
    const bcryptRecord = await hash('pässword', { scheme: 'bcrypt', factor: 11 });
    const slow = [
      bcryptRecord,
      await hash('pässword', { scheme: 'phpass-sha512', factor: 262_144 }),
      await hash('pässword', { scheme: 'salted-sha256', factor: 400_000 }),
    ];
    const before = performance.eventLoopUtilization();
    const started = performance.now();
    const results = await Promise.all(slow.map((record) => verify('pässword', record)));
    const elapsed = performance.now() - started;
    const busy = performance.eventLoopUtilization(before);
    expect(results).toEqual([true, true, true]);
    // The three took a while (so the figure means something), and this thread was idle for most of it.
    expect(elapsed).toBeGreaterThan(50);
    expect(busy.utilization).toBeLessThan(0.3);
    expect(await verify('wrong', bcryptRecord)).toBe(false);
  });
});

describe('needsRehash', () => {
  it('asks for argon2id when the stored scheme or factor differs from the policy', async () => {
    const legacy = vectors.find((v) => v.stored.encryptionScheme === 'phpass-md5')!.stored;
    expect(needsRehash(legacy)).toBe(true);
    const current = await hash('pw', { scheme: 'argon2id' });
    expect(needsRehash(current)).toBe(false);
    expect(needsRehash(current, { scheme: 'argon2id', factor: 3 })).toBe(true);
    const reference = stored('argon2id', 2, '', '$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo');
    expect(needsRehash(reference)).toBe(true);
    expect(needsRehash(stored('argon2id', 2, '', 'garbage'))).toBe(true);
    // Each of memory, lanes and version on its own (the digest is not checked here, only the parameters).
    const digest = '$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo';
    expect(needsRehash(stored('argon2id', 2, '', `$argon2id$v=19$m=19456,t=2,p=1${digest}`))).toBe(false);
    expect(needsRehash(stored('argon2id', 2, '', `$argon2id$v=19$m=19455,t=2,p=1${digest}`))).toBe(true);
    expect(needsRehash(stored('argon2id', 2, '', `$argon2id$v=19$m=19456,t=2,p=2${digest}`))).toBe(true);
    expect(needsRehash(stored('argon2id', 2, '', `$argon2id$v=16$m=19456,t=2,p=1${digest}`))).toBe(true);
  });

  it('compares factors for FusionAuth schemes', () => {
    const pbkdf2 = stored('salted-pbkdf2-hmac-sha256', 24_000, b64('s'), 'x');
    expect(needsRehash(pbkdf2, { scheme: 'salted-pbkdf2-hmac-sha256' })).toBe(false);
    expect(needsRehash(pbkdf2, { scheme: 'salted-pbkdf2-hmac-sha256', factor: 50_000 })).toBe(true);
  });
});

describe('verifyDummy', () => {
  /**
   * Median over interleaved pairs of the dummy/real time ratio. Interleaving cancels the load drift of
   * a shared machine (a whole test run shares two cores), which separate medians do not.
   */
  async function pairedRatio(real: () => Promise<unknown>, dummy: () => Promise<unknown>, pairs = 7): Promise<number> {
    const ratios: number[] = [];
    const time = async (run: () => Promise<unknown>) => {
      const start = process.hrtime.bigint();
      await run();
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    for (let i = 0; i < pairs; i++) {
      // Alternate which runs first so neither side always gets the warmer (or busier) slot.
      const realFirst = i % 2 === 0;
      const first = await time(realFirst ? real : dummy);
      const second = await time(realFirst ? dummy : real);
      ratios.push(realFirst ? second / first : first / second);
    }
    return ratios.sort((x, y) => x - y)[Math.floor(pairs / 2)]!;
  }

  it('costs about as much as a real argon2id verify and is always false', async () => {
    const record = await hash('real password', { scheme: 'argon2id' });
    expect(await verifyDummy('idstream-dummy-password')).toBe(false);
    const ratio = await pairedRatio(() => verify('wrong password', record), () => verifyDummy('wrong password'));
    console.info(`verifyDummy / argon2id verify time ratio (median of interleaved pairs): ${ratio.toFixed(2)}`);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });

  it('follows a non-default policy', async () => {
    const ratio = await pairedRatio(() => verify('x', stored('bcrypt', 8, 'CCCCCCCCCCCCCCCCCCCCC.', 'E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW')), () => verifyDummy('x', { scheme: 'bcrypt', factor: 8 }), 5);
    expect(ratio).toBeGreaterThan(0.5);
  });
});
