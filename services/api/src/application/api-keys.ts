import { createHash } from 'node:crypto';
import type { ConfigDocument } from '@idstream/domain';

/** An API key as stored: the key itself is kept only as a SHA-256 digest. */
export interface ApiKeyDocument extends ConfigDocument {
  keyHash: string;
  tenantId?: string;
  permissions?: { endpoints?: Record<string, string[]> };
  metaData?: { attributes?: Record<string, string> };
}

/**
 * API keys are high-entropy random strings, so a fast digest is enough to make the stored form
 * useless to a reader of the database; lookups stay one indexed read.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** FusionAuth's rule: a key with no endpoint permissions may call everything. */
export function keyAllows(key: ApiKeyDocument, endpoint: string, method: string): boolean {
  const endpoints = key.permissions?.endpoints;
  if (!endpoints || Object.keys(endpoints).length === 0) return true;
  const methods = endpoints[endpoint];
  return Array.isArray(methods) && methods.map((m) => m.toUpperCase()).includes(method.toUpperCase());
}
