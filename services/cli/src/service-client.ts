/**
 * How the CLI reaches a running service: base URL and API key from flags or the environment, with
 * the embedded bootstrap key file as the last resort (a fresh `idstream start` writes it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ServiceTarget {
  url: string;
  apiKey: string;
  tenantId?: string;
}

export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

export function resolveTarget(flags: { url?: string; 'api-key'?: string; 'tenant-id'?: string }, env: NodeJS.ProcessEnv = process.env): ServiceTarget {
  const url = flags.url ?? env.IDSTREAM_URL ?? `http://127.0.0.1:${env.PORT ?? '9011'}`;
  const keyFile = join(env.IDSTREAM_DATA_DIR ?? './data', 'bootstrap-api-key');
  const apiKey = flags['api-key'] ?? env.IDSTREAM_API_KEY ?? (existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : undefined);
  if (!apiKey) throw new CliUsageError(`no API key: set IDSTREAM_API_KEY (or --api-key), or run next to the data directory holding ${keyFile}`);
  return { url: url.replace(/\/+$/, ''), apiKey, ...(flags['tenant-id'] && { tenantId: flags['tenant-id'] }) };
}

export class ServiceUnreachableError extends Error {
  override readonly name = 'ServiceUnreachableError';
}

export interface ServiceResponse {
  status: number;
  body: any;
  text: string;
}

/** One JSON request to the service with its API key (and tenant header when given). */
export async function callService(target: ServiceTarget, method: string, path: string, body?: unknown, apiKey = target.apiKey): Promise<ServiceResponse> {
  const response = await fetch(`${target.url}${path}`, {
    method,
    headers: {
      Authorization: apiKey,
      ...(body !== undefined && { 'Content-Type': 'application/json' }),
      ...(target.tenantId && { 'X-FusionAuth-TenantId': target.tenantId }),
    },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  }).catch((error: Error & { cause?: Error }) => {
    throw new ServiceUnreachableError(`cannot reach the service at ${target.url}: ${error.cause?.message ?? error.message}`);
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed, text };
}
