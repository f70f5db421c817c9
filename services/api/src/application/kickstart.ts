/**
 * FusionAuth Kickstart: on a fresh store, create the file's API keys, then replay its requests in
 * order through the real HTTP API, so a deployment is reproducible from a file.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { AppContext } from './context.js';
import { ConfigEntities } from './config-entities.js';
import { hashApiKey } from './api-keys.js';
import { DEFAULT_TENANT_ID } from './bootstrap.js';

interface KickstartFile {
  variables?: Record<string, string>;
  apiKeys?: { key: string; description?: string; tenantId?: string; permissions?: unknown; id?: string }[];
  requests?: { method: string; url: string; body?: unknown; tenantId?: string }[];
}

export class KickstartError extends Error {
  override readonly name = 'KickstartError';
}

/** A store is fresh when nobody has configured it yet: no API keys, no applications, no users. */
export async function storeIsFresh(ctx: AppContext): Promise<boolean> {
  const [keys, apps, users] = await Promise.all([
    ctx.readModels.config.ApiKey.count(),
    ctx.readModels.config.Application.count(),
    ctx.readModels.users.count(),
  ]);
  return keys === 0 && apps === 0 && users === 0;
}

export async function runKickstart(ctx: AppContext, file: string, baseUrl: string): Promise<{ requests: number }> {
  const raw = readFileSync(file, 'utf8');
  let parsed: KickstartFile;
  try {
    parsed = JSON.parse(raw) as KickstartFile;
  } catch (error) {
    throw new KickstartError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const variables: Record<string, string> = { FUSIONAUTH_TENANT_ID: DEFAULT_TENANT_ID };
  for (const [name, value] of Object.entries(parsed.variables ?? {})) variables[name] = substitute(String(value), variables, dirname(file));
  const expand = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const inline = /^@\{(.+)\}$/.exec(value);
      if (inline) return expand(JSON.parse(readFileSync(resolve(dirname(file), inline[1]!), 'utf8')));
      return substitute(value, variables, dirname(file));
    }
    if (Array.isArray(value)) return value.map(expand);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expand(v)]));
    return value;
  };

  const entities = new ConfigEntities(ctx);
  const keys = (parsed.apiKeys ?? []).map((k) => expand(k) as NonNullable<KickstartFile['apiKeys']>[number]);
  for (const key of keys) {
    await entities.create('ApiKey', {
      ...(key.id && { id: key.id }),
      keyHash: hashApiKey(key.key),
      ...(key.tenantId && { tenantId: key.tenantId }),
      ...(key.permissions !== undefined && { permissions: key.permissions }),
      metaData: { attributes: { description: key.description ?? 'Kickstart' } },
    });
  }
  const superKey = keys.find((k) => !k.permissions && !k.tenantId)?.key;
  if ((parsed.requests ?? []).length > 0 && !superKey) throw new KickstartError('Kickstart requests need an API key without permissions or tenant lock in apiKeys');

  let count = 0;
  for (const request of parsed.requests ?? []) {
    const url = substitute(request.url, variables, dirname(file));
    const body = request.body === undefined ? undefined : JSON.stringify(expand(request.body));
    const response = await fetch(new URL(url, baseUrl), {
      method: request.method.toUpperCase(),
      headers: {
        Authorization: superKey!,
        'Content-Type': 'application/json',
        ...(request.tenantId && { 'X-FusionAuth-TenantId': substitute(request.tenantId, variables, dirname(file)) }),
      },
      ...(body !== undefined && { body }),
    });
    const text = await response.text();
    if (!response.ok) throw new KickstartError(`${request.method} ${url} answered ${response.status}: ${text.slice(0, 500)}`);
    count++;
  }
  ctx.logger.info({ file, apiKeys: keys.length, requests: count }, 'kickstart applied');
  return { requests: count };
}

function substitute(value: string, variables: Record<string, string>, _dir: string): string {
  return value.replace(/#\{([^}]+)\}/g, (whole, name: string) => {
    if (name === 'UUID()') return randomUUID();
    if (name.startsWith('ENV.')) return process.env[name.slice(4)] ?? whole;
    const found = variables[name];
    if (found === undefined) throw new KickstartError(`Kickstart variable #{${name}} is not defined`);
    return found;
  });
}
