/**
 * `idstream kickstart <file>`: applies a FusionAuth Kickstart file to a running service over its
 * API — its API keys first (created with the operator's key), then its requests in order with the
 * file's superuser key. Unlike `IDSTREAM_KICKSTART` (applied once, on an empty store, at start),
 * this runs whenever the operator asks; a failing request stops it with the service's answer.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { callService, type ServiceTarget } from './service-client.js';

interface KickstartFile {
  variables?: Record<string, unknown>;
  apiKeys?: { key: string; description?: string; tenantId?: string; permissions?: unknown; id?: string }[];
  requests?: { method: string; url: string; body?: unknown; tenantId?: string }[];
}

export class KickstartFailedError extends Error {
  override readonly name = 'KickstartFailedError';
}

export async function applyKickstart(target: ServiceTarget, file: string, env: NodeJS.ProcessEnv = process.env): Promise<{ apiKeys: number; requests: number }> {
  let parsed: KickstartFile;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as KickstartFile;
  } catch (error) {
    throw new KickstartFailedError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const directory = dirname(file);
  const variables: Record<string, string> = {};
  const substitute = (value: string) =>
    value.replace(/#\{([^}]+)\}/g, (whole, name: string) => {
      if (name === 'UUID()') return randomUUID();
      if (name.startsWith('ENV.')) return env[name.slice(4)] ?? whole;
      const found = variables[name];
      if (found === undefined) throw new KickstartFailedError(`Kickstart variable #{${name}} is not defined`);
      return found;
    });
  const expand = (value: unknown): unknown => {
    if (typeof value === 'string') {
      // FusionAuth's `@{file}`: the value is the content of a JSON file next to the Kickstart file.
      const inline = /^@\{(.+)\}$/.exec(value);
      if (inline) return expand(JSON.parse(readFileSync(resolve(directory, inline[1]!), 'utf8')));
      return substitute(value);
    }
    if (Array.isArray(value)) return value.map(expand);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expand(v)]));
    return value;
  };
  // FUSIONAUTH_TENANT_ID is the default tenant; ask the service rather than assume its id.
  const tenants = await callService(target, 'GET', '/api/tenant');
  const defaultTenant = (tenants.body?.tenants as { id: string; name: string }[] | undefined)?.find((t) => t.name === 'Default') ?? tenants.body?.tenants?.[0];
  if (defaultTenant) variables.FUSIONAUTH_TENANT_ID = defaultTenant.id;
  for (const [name, value] of Object.entries(parsed.variables ?? {})) variables[name] = substitute(String(value));

  const keys = (parsed.apiKeys ?? []).map((k) => expand(k) as NonNullable<KickstartFile['apiKeys']>[number]);
  for (const key of keys) {
    const body = { apiKey: { key: key.key, ...(key.tenantId && { tenantId: key.tenantId }), ...(key.permissions !== undefined && { permissions: key.permissions }), metaData: { attributes: { description: key.description ?? 'Kickstart' } } } };
    const response = await callService({ ...target, tenantId: undefined as never }, 'POST', key.id ? `/api/api-key/${key.id}` : '/api/api-key', body);
    if (response.status !== 200) throw new KickstartFailedError(`creating API key ${key.description ?? key.id ?? ''} answered ${response.status}: ${response.text.slice(0, 500)}`);
  }
  const requestKey = keys.find((k) => !k.permissions && !k.tenantId)?.key ?? target.apiKey;

  let count = 0;
  for (const request of parsed.requests ?? []) {
    const url = substitute(request.url);
    const response = await callService(
      { url: target.url, apiKey: requestKey, ...(request.tenantId && { tenantId: substitute(request.tenantId) }) },
      request.method.toUpperCase(),
      url.startsWith('/') ? url : `/${url}`,
      request.body === undefined ? undefined : expand(request.body),
    );
    if (response.status < 200 || response.status >= 300) throw new KickstartFailedError(`${request.method} ${url} answered ${response.status}: ${response.text.slice(0, 500)}`);
    count++;
  }
  return { apiKeys: keys.length, requests: count };
}
