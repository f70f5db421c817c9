import { decrypt, deriveKey, encrypt, type EnvelopeKey } from '@idstream/crypto';

/**
 * Encrypts configuration secrets (private keys, webhook passwords, emailed codes) before they are
 * written to an event, with a key derived from the master key per purpose.
 */
export class SecretBox {
  private readonly keys = new Map<string, EnvelopeKey>();

  constructor(private readonly masterKey: Uint8Array) {}

  seal(purpose: string, plaintext: string): string {
    return encrypt(plaintext, this.key(purpose), purpose);
  }

  open(purpose: string, sealed: string): string {
    return decrypt(sealed, this.key(purpose), purpose);
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
