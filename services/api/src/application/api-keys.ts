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

/**
 * FusionAuth: "an API key can only be created with equal or lesser authority", and retrieving,
 * updating or deleting a key needs equal or greater permissions. Without this, a key allowed only
 * `/api/api-key` could replace the value of the superuser key and become it.
 */
export function hasAuthorityOver(caller: ApiKeyDocument | undefined, target: Pick<ApiKeyDocument, 'tenantId' | 'permissions'>): boolean {
  if (!caller) return false;
  if (caller.tenantId && target.tenantId !== caller.tenantId) return false;
  const mine = caller.permissions?.endpoints;
  if (!mine || Object.keys(mine).length === 0) return true;
  const theirs = target.permissions?.endpoints;
  // A key without endpoint permissions may call everything: only a key without them has that authority.
  if (!theirs || Object.keys(theirs).length === 0) return false;
  return Object.entries(theirs).every(([endpoint, methods]) => Array.isArray(methods) && methods.every((method) => keyAllows(caller, endpoint, String(method))));
}
