import { createHmac, verify as verifySignature } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { clearSigningKeyCache, generateSigningKey, signJwt, toJwks, toPublicJwk, verifyJwt } from '../src/signing-keys.js';
import type { SigningAlgorithm, SigningKeyRecord } from '../src/signing-keys.js';

const algorithms: SigningAlgorithm[] = ['RS256', 'ES256', 'HS256'];
const keys = {} as Record<SigningAlgorithm, SigningKeyRecord>;
const resolveFrom = (...records: SigningKeyRecord[]) => (kid: string | undefined) => records.find((r) => r.kid === kid);

beforeAll(async () => {
  for (const algorithm of algorithms) keys[algorithm] = await generateSigningKey(algorithm, `kid-${algorithm.toLowerCase()}`);
});

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

function segments(token: string): [string, string, string] {
  return token.split('.') as [string, string, string];
}

describe('generateSigningKey', () => {
  it('produces serialisable records of the right kind', () => {
    expect(keys.RS256.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(keys.RS256.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(keys.ES256.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(Buffer.from(keys.HS256.secret!, 'base64url')).toHaveLength(32);
    expect(keys.HS256.privateKeyPem).toBeUndefined();
    for (const record of Object.values(keys)) expect(JSON.parse(JSON.stringify(record))).toEqual(record);
  });

  it('rejects unusable kids and algorithms', async () => {
    await expect(generateSigningKey('RS256', '')).rejects.toThrow(RangeError);
    await expect(generateSigningKey('none' as SigningAlgorithm, 'k')).rejects.toThrow(RangeError);
  });
});

describe('signJwt / verifyJwt', () => {
  it.each(algorithms)('%s: signs with FusionAuth header and claims, verifies through the resolver', async (algorithm) => {
    const now = new Date();
    const token = await signJwt(keys[algorithm], { sub: 'user-1', aud: 'app-1', iss: 'acme.com' }, { expiresInSeconds: 3600, now });
    const { payload, header } = await verifyJwt(token, resolveFrom(...Object.values(keys)), { issuer: 'acme.com', audience: 'app-1' });
    expect(header).toEqual({ alg: algorithm, typ: 'JWT', kid: keys[algorithm].kid });
    const iat = Math.floor(now.getTime() / 1000);
    expect(payload).toMatchObject({ sub: 'user-1', iat, exp: iat + 3600 });
  });

  it('produces signatures node:crypto verifies on its own (RS256, ES256, HS256)', async () => {
    const claims = { sub: 'user-2' };
    const [rsHead, rsBody, rsSig] = segments(await signJwt(keys.RS256, claims, { expiresInSeconds: 60 }));
    expect(verifySignature('sha256', Buffer.from(`${rsHead}.${rsBody}`), keys.RS256.publicKeyPem!, Buffer.from(rsSig, 'base64url'))).toBe(true);

    const [esHead, esBody, esSig] = segments(await signJwt(keys.ES256, claims, { expiresInSeconds: 60 }));
    const es = { key: keys.ES256.publicKeyPem!, dsaEncoding: 'ieee-p1363' as const };
    expect(verifySignature('sha256', Buffer.from(`${esHead}.${esBody}`), es, Buffer.from(esSig, 'base64url'))).toBe(true);

    const [hsHead, hsBody, hsSig] = segments(await signJwt(keys.HS256, claims, { expiresInSeconds: 60 }));
    const mac = createHmac('sha256', Buffer.from(keys.HS256.secret!, 'base64url')).update(`${hsHead}.${hsBody}`).digest('base64url');
    expect(hsSig).toBe(mac);
  });

  it('keeps working from a JSON copy of the record', async () => {
    const copy = JSON.parse(JSON.stringify(keys.ES256)) as SigningKeyRecord;
    const token = await signJwt(copy, { sub: 'x' }, { expiresInSeconds: 60 });
    await expect(verifyJwt(token, resolveFrom(keys.ES256))).resolves.toBeTruthy();
  });

  it('rejects expiry, tampering, unknown kids and the wrong key', async () => {
    const all = resolveFrom(...Object.values(keys));
    const old = await signJwt(keys.ES256, { sub: 'x' }, { expiresInSeconds: 60, now: new Date(Date.now() - 3_600_000) });
    expect(await codeOf(verifyJwt(old, all))).toBe('ERR_JWT_EXPIRED');

    const token = await signJwt(keys.RS256, { sub: 'user-1', roles: ['user'] }, { expiresInSeconds: 60 });
    const [head, , sig] = segments(token);
    const forged = Buffer.from(JSON.stringify({ sub: 'user-1', roles: ['admin'], exp: 9_999_999_999 })).toString('base64url');
    expect(await codeOf(verifyJwt(`${head}.${forged}.${sig}`, all))).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');

    expect(await codeOf(verifyJwt(token, resolveFrom(keys.ES256)))).toBe('ERR_JWKS_NO_MATCHING_KEY');

    const impostor = { ...(await generateSigningKey('RS256', keys.RS256.kid)) };
    expect(await codeOf(verifyJwt(token, resolveFrom(impostor)))).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('refuses an HS256 token keyed with a published RSA public key (algorithm confusion)', async () => {
    const confused = await new SignJWT({ sub: 'attacker', exp: 9_999_999_999 })
      .setProtectedHeader({ alg: 'HS256', kid: keys.RS256.kid })
      .sign(new TextEncoder().encode(keys.RS256.publicKeyPem!));
    expect(await codeOf(verifyJwt(confused, resolveFrom(keys.RS256)))).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
  });

  it('requires exp', async () => {
    const secret = Buffer.from(keys.HS256.secret!, 'base64url');
    const endless = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'HS256', kid: keys.HS256.kid }).sign(secret);
    expect(await codeOf(verifyJwt(endless, resolveFrom(keys.HS256)))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
  });
});

describe('JWKS', () => {
  it('publishes asymmetric keys only, without private parts', async () => {
    const jwks = await toJwks(Object.values(keys));
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([keys.ES256.kid, keys.RS256.kid].sort());
    for (const jwk of jwks.keys) {
      expect(jwk.use).toBe('sig');
      for (const secretField of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(jwk).not.toHaveProperty(secretField);
    }
    expect(await toPublicJwk(keys.RS256)).toMatchObject({ kty: 'RSA', alg: 'RS256', e: 'AQAB' });
    expect(await toPublicJwk(keys.ES256)).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    await expect(toPublicJwk(keys.HS256)).rejects.toThrow(TypeError);
  });

  it.each(['RS256', 'ES256'] as const)('%s token verifies with jose.createLocalJWKSet over the served JSON', async (algorithm) => {
    const served = JSON.parse(JSON.stringify(await toJwks(Object.values(keys))));
    const token = await signJwt(keys[algorithm], { sub: 'user-3' }, { expiresInSeconds: 60 });
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(served));
    expect(payload.sub).toBe('user-3');
    expect(protectedHeader.kid).toBe(keys[algorithm].kid);
  });
});

describe('throughput', () => {
  it('signs from cached keys', async () => {
    const rates: string[] = [];
    for (const algorithm of algorithms) {
      clearSigningKeyCache();
      const coldStart = performance.now();
      await signJwt(keys[algorithm], { sub: 'warm-up' }, { expiresInSeconds: 60 });
      const coldMs = performance.now() - coldStart;
      const count = algorithm === 'RS256' ? 300 : 2000;
      const start = performance.now();
      for (let i = 0; i < count; i++) await signJwt(keys[algorithm], { sub: `user-${i}`, applicationId: 'app' }, { expiresInSeconds: 3600 });
      const perSecond = count / ((performance.now() - start) / 1000);
      rates.push(`${algorithm} ${Math.round(perSecond)}/s (first sign incl. import ${coldMs.toFixed(1)} ms)`);
      // Floors far below what one loaded core does; re-importing a PEM per token would drop RS256 several-fold.
      expect(perSecond).toBeGreaterThan(algorithm === 'RS256' ? 100 : 1000);
    }
    console.info(`sequential JWT signing: ${rates.join(', ')}`);
  });
});
