import { createHmac, hkdfSync } from 'node:crypto';
import { decrypt, deriveKey, encrypt, type EnvelopeKey } from '@idstream/crypto';

/**
 * Encrypts configuration secrets (private keys, webhook passwords, emailed codes) before they are
 * written to an event, with a key derived from the master key per purpose.
 */
export class SecretBox {
  private readonly keys = new Map<string, EnvelopeKey>();
  private readonly digestKeys = new Map<string, Buffer>();

  constructor(private readonly masterKey: Uint8Array) {}

  seal(purpose: string, plaintext: string): string {
    return encrypt(plaintext, this.key(purpose), purpose);
  }

  open(purpose: string, sealed: string): string {
    return decrypt(sealed, this.key(purpose), purpose);
  }

  /**
   * A keyed digest (HMAC-SHA256, hex) of `value`, with a key derived from the master key per purpose.
   * For lookups by a secret whose space is small (a 6-digit code): an unkeyed hash of it is reversed
   * by trying every value, a keyed one only by whoever holds the master key.
   */
  digest(purpose: string, value: string): string {
    let key = this.digestKeys.get(purpose);
    if (!key) {
      if (purpose.length === 0) throw new RangeError('purpose must not be empty');
      key = Buffer.from(hkdfSync('sha256', this.masterKey, new Uint8Array(0), `idstream digest v1: ${purpose}`, 32));
      this.digestKeys.set(purpose, key);
    }
    return createHmac('sha256', key).update(value, 'utf8').digest('hex');
  }

  private key(purpose: string): EnvelopeKey {
    let key = this.keys.get(purpose);
    if (!key) {
      key = deriveKey(this.masterKey, purpose);
      this.keys.set(purpose, key);
    }
    return key;
  }
}

/** What each sealed secret is for; the purpose is bound into the ciphertext. */
export const WEBHOOK_PASSWORD_PURPOSE = 'webhook-http-auth';
