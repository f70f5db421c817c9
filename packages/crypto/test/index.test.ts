import { describe, expect, it } from 'vitest';
import * as cryptoPackage from '../src/index.js';

describe('@idstream/crypto entry point', () => {
  it('exposes every module, with unambiguous password aliases', async () => {
    for (const name of ['hash', 'verify', 'needsRehash', 'verifyDummy', 'randomToken', 'randomCode', 'encrypt', 'decrypt', 'deriveKey', 'generateSigningKey', 'signJwt', 'verifyJwt', 'toJwks']) {
      expect(typeof (cryptoPackage as Record<string, unknown>)[name], name).toBe('function');
    }
    expect(cryptoPackage.hashPassword).toBe(cryptoPackage.hash);
    const record = await cryptoPackage.hashPassword('pw', { scheme: 'salted-sha256', factor: 1 });
    expect(await cryptoPackage.verifyPassword('pw', record)).toBe(true);
  });
});
