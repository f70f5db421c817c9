/**
 * Starts the whole service in-process on embedded storage in a temporary data directory, on a free
 * loopback port, with a known API key; and a FusionAuth client pointed at it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { FusionAuthClient } from '@fusionauth/typescript-client';
import { loadConfig, type IdstreamConfig } from '@idstream/config';
import { startIdstream, type RunningIdstream } from '@idstream/api';
import { createLogger } from '@idstream/platform';
import { serverUrl } from '@idstream/testkit';
import { startValidatingProxy, type ValidatingProxy } from './openapi-validator.js';

export interface TestService {
  service: RunningIdstream;
  url: string;
  apiKey: string;
  client: FusionAuthClient;
  dataDir: string;
  /** Stops the service; the data directory stays for a restart. */
  stop(): Promise<void>;
  /** Stops the service and deletes its data. */
  destroy(): Promise<void>;
  /** The proxy `client` talks through: every response is checked against /api/openapi.json. */
  openApi: ValidatingProxy;
}

/**
 * With `IDSTREAM_E2E_ADAPTERS=production` the end-to-end suites run on whichever production servers
 * are configured (KURRENTDB_URL, MONGODB_URL, ELASTICSEARCH_URL, REDIS_URL), each service in its own
 * database, index prefix and queue prefix. KurrentDB has no namespaces: services then share one log,
 * so only suites that address their own users by id/email are meaningful there.
 */
function productionAdapterEnv(dataDir: string): Record<string, string> {
  if (process.env.IDSTREAM_E2E_ADAPTERS !== 'production') return {};
  const unique = `e2e${randomBytes(6).toString('hex')}`;
  const pick = (name: string) => {
    const url = serverUrl(name);
    return url ? { [name]: url } : {};
  };
  return {
    ...pick('KURRENTDB_URL'),
    ...pick('MONGODB_URL'),
    ...pick('ELASTICSEARCH_URL'),
    ...pick('REDIS_URL'),
    MONGODB_DB: unique,
    ELASTICSEARCH_INDEX_PREFIX: unique,
    REDIS_PREFIX: unique,
    // Stable per data dir, so a restart of the same service can open what it sealed.
    IDSTREAM_MASTER_KEY: createHash('sha256').update(dataDir).digest('base64'),
  };
}

export async function startTestService(options: { env?: Record<string, string>; dataDir?: string } = {}): Promise<TestService> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'idstream-test-'));
  const apiKey = options.env?.IDSTREAM_API_KEY ?? `test-${randomBytes(24).toString('hex')}`;
  const config: IdstreamConfig = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    IDSTREAM_DATA_DIR: dataDir,
    IDSTREAM_API_KEY: apiKey,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    ...productionAdapterEnv(dataDir),
    ...options.env,
  });
  const service = await startIdstream(config, { logger: createLogger(config) });
  const url = service.url!;
  const openApi = await startValidatingProxy(url);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await service.stop();
    await openApi.close();
    // A response that contradicts the OpenAPI document fails the suite that received it.
    if (openApi.violations.length > 0) throw new Error(`responses violating the OpenAPI document:\n${openApi.violations.join('\n')}`);
  };
  return {
    service,
    url,
    apiKey,
    client: new FusionAuthClient(apiKey, openApi.url),
    openApi,
    dataDir,
    stop,
    async destroy() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Raw HTTP for the cases a typed client cannot express (malformed JSON, wrong types). */
export async function rawRequest(url: string, init: RequestInit & { apiKey?: string } = {}): Promise<{ status: number; body: any; text: string }> {
  const { apiKey, headers, ...rest } = init;
  const response = await fetch(url, { ...rest, headers: { ...(apiKey && { Authorization: apiKey }), ...(headers as Record<string, string>) } });
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, body, text };
}

/** Awaits a FusionAuth client call that is expected to fail, returning its status and errors. */
export async function failure(promise: Promise<unknown>): Promise<{ statusCode: number; exception?: any }> {
  try {
    await promise;
  } catch (error) {
    const response = error as { statusCode?: number; exception?: unknown };
    if (typeof response.statusCode === 'number') return { statusCode: response.statusCode, exception: response.exception };
    throw error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
