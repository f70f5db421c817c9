/**
 * Passwordless code values in the form the tenant configures (`passwordlessLoginGenerator`), drawn
 * from a CSPRNG, and the tenant's code lifetime.
 */
import { randomBytes } from 'node:crypto';
import { randomCode } from '@idstream/crypto';
import type { ConfigDocument } from '@idstream/domain';

const DIGITS = '0123456789';
const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ALPHANUMERIC = `${ALPHA}${DIGITS}`;

interface GeneratorSettings {
  length?: number;
  type?: string;
}

interface ExternalIdentifierConfiguration {
  passwordlessLoginTimeToLiveInSeconds?: number;
  passwordlessLoginGenerator?: GeneratorSettings;
}

const DEFAULT_TTL_SECONDS = 180;
const DEFAULT_GENERATOR = { length: 32, type: 'randomBytes' } as const;

function settings(tenant: ConfigDocument): ExternalIdentifierConfiguration {
  return (tenant.externalIdentifierConfiguration ?? {}) as ExternalIdentifierConfiguration;
}

export function codeTimeToLiveMs(tenant: ConfigDocument): number {
  const ttl = settings(tenant).passwordlessLoginTimeToLiveInSeconds;
  return (typeof ttl === 'number' && ttl > 0 ? ttl : DEFAULT_TTL_SECONDS) * 1000;
}

/** A new code; `randomBytes` yields base64url of `length` bytes (FusionAuth's default form). */
export function generateCode(tenant: ConfigDocument): string {
  const generator = settings(tenant).passwordlessLoginGenerator ?? DEFAULT_GENERATOR;
  const length = typeof generator.length === 'number' && Number.isInteger(generator.length) && generator.length > 0 ? Math.min(generator.length, 256) : DEFAULT_GENERATOR.length;
  switch (generator.type) {
    case 'randomDigits':
      return randomCode(length, DIGITS);
    case 'randomAlpha':
      return randomCode(length, ALPHA);
    case 'randomAlphaNumeric':
      return randomCode(length, ALPHANUMERIC);
    default:
      return randomBytes(length).toString('base64url');
  }
}
