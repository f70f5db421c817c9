/**
 * JWT signing keys, stored as FusionAuth Key objects. Private material is sealed with the master key
 * before it enters an event; imported key objects are cached so signing costs one signature only.
 */
import { generateSigningKey, signJwt, toPublicJwk, verifyJwt, type SigningKeyRecord } from '@idstream/crypto';
import type { ConfigDocument } from '@idstream/domain';
import type { ViewCollection } from '@idstream/views';
import type { SecretBox } from './secret-box.js';

export const DEFAULT_SIGNING_KEY_NAME = 'Default signing key';
const PRIVATE_KEY_PURPOSE = 'signing-key';

export interface KeyDocument extends ConfigDocument {
  algorithm: 'RS256' | 'ES256' | 'HS256';
  name: string;
  kid: string;
  type: 'RSA' | 'EC' | 'HMAC';
  publicKey?: string;
  hasPrivateKey?: boolean;
  /** Sealed private key (PEM) or HMAC secret; never returned by the API. */
  sealedSecret?: string;
}

export class SigningKeys {
  private readonly records = new Map<string, { updated: number | undefined; record: SigningKeyRecord }>();
  private defaultId?: string;

  constructor(
    private readonly keys: () => ViewCollection<ConfigDocument>,
    private readonly secrets: SecretBox,
  ) {}

  /** A new key document (not yet stored) with freshly generated material. */
  async generate(id: string, name: string, algorithm: KeyDocument['algorithm'] = 'RS256'): Promise<KeyDocument> {
    const record = await generateSigningKey(algorithm, id);
    const secret = record.privateKeyPem ?? record.secret;
    return {
      id,
      name,
      algorithm,
      kid: record.kid,
      type: algorithm === 'RS256' ? 'RSA' : algorithm === 'ES256' ? 'EC' : 'HMAC',
      ...(record.publicKeyPem && { publicKey: record.publicKeyPem }),
      hasPrivateKey: Boolean(record.privateKeyPem),
      ...(secret && { sealedSecret: this.secrets.seal(PRIVATE_KEY_PURPOSE, secret) }),
    };
  }

  async defaultKeyId(): Promise<string | undefined> {
    if (this.defaultId) return this.defaultId;
    const all = await this.keys().list({ limit: 10_000 });
    this.defaultId = all.find((k) => k.body.name === DEFAULT_SIGNING_KEY_NAME)?.id;
    return this.defaultId;
  }

  /** Signs `claims` (seconds-based `exp` added from `ttlSeconds`). */
  async sign(keyId: string, claims: Record<string, unknown>, ttlSeconds: number): Promise<string> {
    const record = await this.record(keyId);
    return signJwt(record, claims, { expiresInSeconds: ttlSeconds });
  }

  /** Verifies a JWT signed by any of our keys; returns its payload or undefined. */
  async verify(token: string): Promise<Record<string, unknown> | undefined> {
    try {
      const verified = await verifyJwt(token, async (kid) => {
        const found = (await this.keys().list({ limit: 10_000 })).find((k) => k.body.kid === kid);
        return found ? this.record(found.id) : undefined;
      });
      return verified.payload as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }

  /** Public keys of every asymmetric key, for `/.well-known/jwks.json`. */
  async jwks(): Promise<{ keys: Record<string, unknown>[] }> {
    const all = await this.keys().list({ limit: 10_000 });
    const keys: Record<string, unknown>[] = [];
    for (const document of all) {
      const key = document.body as KeyDocument;
      if (key.type === 'HMAC' || !key.publicKey) continue;
      keys.push((await toPublicJwk(await this.record(document.id))) as unknown as Record<string, unknown>);
    }
    return { keys };
  }

  private async record(keyId: string): Promise<SigningKeyRecord> {
    const document = (await this.keys().get(keyId))?.body as KeyDocument | undefined;
    if (!document) throw new Error(`signing key ${keyId} does not exist`);
    const cached = this.records.get(keyId);
    if (cached && cached.updated === document.lastUpdateInstant) return cached.record;
    const secret = document.sealedSecret ? this.secrets.open(PRIVATE_KEY_PURPOSE, document.sealedSecret) : undefined;
    const record: SigningKeyRecord = {
      kid: document.kid,
      algorithm: document.algorithm,
      ...(document.publicKey && { publicKeyPem: document.publicKey }),
      ...(secret && document.type !== 'HMAC' && { privateKeyPem: secret }),
      ...(secret && document.type === 'HMAC' && { secret }),
    } as SigningKeyRecord;
    this.records.set(keyId, { updated: document.lastUpdateInstant, record });
    return record;
  }
}

export function presentKey({ sealedSecret: _secret, ...rest }: ConfigDocument): Record<string, unknown> {
  return rest;
}
