/**
 * Typed configuration read once from the environment at start. A bad value stops the start with a
 * message naming the variable (fail fast); nothing else in the code reads `process.env`.
 */
export type Role = 'api' | 'projector' | 'worker';

export interface IdstreamConfig {
  port: number;
  host: string;
  dataDir: string;
  kickstartFile?: string;
  /** Creates this API key (superuser) on an empty store, for scripted setups without Kickstart. */
  bootstrapApiKey?: string;
  roles: Role[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Base64 32-byte key encrypting secrets at rest; embedded mode generates one in the data dir. */
  masterKey?: Buffer;
  issuer: string;
  maxBodyBytes: number;
  /** Body limit of `POST /api/user/import` alone (one call may carry 100,000+ users). */
  maxImportBodyBytes: number;
  kurrentDbUrl?: string;
  mongoDbUrl?: string;
  mongoDbName: string;
  elasticsearchUrl?: string;
  elasticsearchIndexPrefix: string;
  redisUrl?: string;
  /** Key prefix of the BullMQ queues (several deployments or test runs can share one Redis). */
  redisPrefix: string;
  smtp?: { host: string; port: number; secure: boolean; user?: string; password?: string; from: string };
  /** Base URL of this service as users reach it (links in emails). */
  publicUrl?: string;
  trustProxy: boolean;
  /**
   * Embedded mode (api + projector roles): run projections, reactors and the job worker in a worker
   * thread instead of on the API's event loop. Off by default: on 2 cores it measured 1–2 ms more CPU
   * per write and a slower append → view (docs/benchmarks.md).
   */
  projectorThread: boolean;
  /**
   * `idstream start` with the projector role (and without `projectorThread`): the user search projection,
   * the costliest to apply, runs in a worker thread of its own, on the other core, while the other
   * projections stay beside the API and the views it reads. On by default (docs/benchmarks.md).
   */
  searchThread: boolean;
  /** Base URL of Facebook's Graph API (a local stand-in in tests). */
  facebookGraphUrl: string;
  /** OTLP/HTTP collector base URL; tracing is on when set (spans go to `<url>/v1/traces`). */
  otlpEndpoint?: string;
  /** `service.name` of this process's spans. */
  serviceName: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly variable: string, message: string) {
    super(`Invalid configuration ${variable}: ${message}`);
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): IdstreamConfig {
  const smtpHost = optional(env, 'SMTP_HOST');
  return {
    port: integer(env, 'PORT', 9011, 0, 65535),
    host: optional(env, 'HOST') ?? '0.0.0.0',
    dataDir: optional(env, 'IDSTREAM_DATA_DIR') ?? './data',
    ...withValue('kickstartFile', optional(env, 'IDSTREAM_KICKSTART')),
    ...withValue('bootstrapApiKey', apiKey(env, 'IDSTREAM_API_KEY')),
    roles: roles(env, 'IDSTREAM_ROLES'),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    ...withValue('masterKey', masterKey(env, 'IDSTREAM_MASTER_KEY')),
    issuer: optional(env, 'IDSTREAM_ISSUER') ?? 'idstream.local',
    maxBodyBytes: integer(env, 'IDSTREAM_MAX_BODY_BYTES', 1_048_576, 1024, 1_073_741_824),
    maxImportBodyBytes: integer(env, 'IDSTREAM_MAX_IMPORT_BODY_BYTES', 536_870_912, 1024, 2_147_483_647),
    ...withValue('kurrentDbUrl', url(env, 'KURRENTDB_URL', ['esdb:', 'esdb+discover:', 'kurrentdb:', 'kurrentdb+discover:', 'kdb:', 'kdb+discover:'])),
    ...withValue('mongoDbUrl', url(env, 'MONGODB_URL', ['mongodb:', 'mongodb+srv:'])),
    mongoDbName: optional(env, 'MONGODB_DB') ?? 'idstream',
    ...withValue('elasticsearchUrl', url(env, 'ELASTICSEARCH_URL', ['http:', 'https:'])),
    elasticsearchIndexPrefix: optional(env, 'ELASTICSEARCH_INDEX_PREFIX') ?? 'idstream',
    ...withValue('redisUrl', url(env, 'REDIS_URL', ['redis:', 'rediss:'])),
    redisPrefix: optional(env, 'REDIS_PREFIX') ?? 'idstream',
    ...withValue(
      'smtp',
      smtpHost && {
        host: smtpHost,
        port: integer(env, 'SMTP_PORT', 25, 1, 65535),
        secure: boolean(env, 'SMTP_SECURE', false),
        ...withValue('user', optional(env, 'SMTP_USER')),
        ...withValue('password', optional(env, 'SMTP_PASSWORD')),
        from: optional(env, 'SMTP_FROM') ?? 'no-reply@idstream.local',
      },
    ),
    ...withValue('publicUrl', url(env, 'IDSTREAM_PUBLIC_URL', ['http:', 'https:'])),
    trustProxy: boolean(env, 'IDSTREAM_TRUST_PROXY', false),
    projectorThread: boolean(env, 'IDSTREAM_PROJECTOR_THREAD', false),
    searchThread: boolean(env, 'IDSTREAM_SEARCH_THREAD', true),
    facebookGraphUrl: url(env, 'IDSTREAM_FACEBOOK_GRAPH_URL', ['http:', 'https:']) ?? 'https://graph.facebook.com',
    ...withValue('otlpEndpoint', url(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:'])),
    serviceName: optional(env, 'OTEL_SERVICE_NAME') ?? 'idstream',
  };
}

function withValue<K extends string, V>(key: K, value: V | undefined | '' | false): Partial<Record<K, V>> {
  return value === undefined || value === '' || value === false ? {} : ({ [key]: value } as Record<K, V>);
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `expected ${min}..${max}, got ${value}`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
  if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(name, `expected true or false, got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = optional(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `not a URL: "${raw}"`);
  }
  if (!protocols.includes(parsed.protocol)) throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL, got "${parsed.protocol}"`);
  return raw;
}

function roles(env: Env, name: string): Role[] {
  const raw = optional(env, name);
  if (raw === undefined) return ['api', 'projector', 'worker'];
  const list = raw.split(',').map((r) => r.trim()).filter(Boolean);
  const bad = list.filter((r) => !['api', 'projector', 'worker'].includes(r));
  if (bad.length > 0 || list.length === 0) throw new ConfigError(name, `expected a comma-separated list of api, projector, worker; got "${raw}"`);
  return [...new Set(list)] as Role[];
}

function apiKey(env: Env, name: string): string | undefined {
  const raw = optional(env, name);
  if (raw !== undefined && raw.length < 32) throw new ConfigError(name, 'an API key must be at least 32 characters');
  return raw;
}

function masterKey(env: Env, name: string): Buffer | undefined {
  const raw = optional(env, name);
  if (raw === undefined) return undefined;
  const key = Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new ConfigError(name, 'expected 32 bytes, base64-encoded (openssl rand -base64 32)');
  return key;
}
