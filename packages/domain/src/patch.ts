/**
 * The three PATCH formats FusionAuth accepts:
 * - `application/json`: FusionAuth's merge, where objects merge, `null` removes and arrays are appended;
 * - `application/merge-patch+json`: RFC 7396 (arrays replaced);
 * - `application/json-patch+json`: RFC 6902 operations.
 */
import { ValidationError } from './errors.js';

type Json = unknown;

export type PatchFormat = 'fusionauth' | 'merge-patch' | 'json-patch';

export function patchFormatOf(contentType: string | undefined): PatchFormat {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/merge-patch+json') return 'merge-patch';
  if (type === 'application/json-patch+json') return 'json-patch';
  return 'fusionauth';
}

export function applyPatch<T>(target: T, patch: Json, format: PatchFormat): T {
  switch (format) {
    case 'fusionauth':
      return merge(target, patch, true) as T;
    case 'merge-patch':
      return merge(target, patch, false) as T;
    case 'json-patch':
      return jsonPatch(target, patch) as T;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function merge(target: Json, patch: Json, appendArrays: boolean): Json {
  if (!isPlainObject(patch)) {
    if (appendArrays && Array.isArray(patch) && Array.isArray(target)) return [...target, ...patch];
    return structuredClone(patch);
  }
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    refuseProtoKey(key);
    if (value === null) delete result[key];
    else result[key] = merge(result[key], value, appendArrays);
  }
  return result;
}

function jsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations)) throw invalid('A JSON Patch must be an array of operations.');
  let document = structuredClone(target);
  for (const operation of operations) {
    if (!isPlainObject(operation) || typeof operation.op !== 'string' || typeof operation.path !== 'string') {
      throw invalid('Each JSON Patch operation needs an op and a path.');
    }
    const path = parsePointer(operation.path);
    switch (operation.op) {
      case 'add':
        document = setAt(document, path, structuredClone(operation.value), 'add');
        break;
      case 'replace':
        getAt(document, path);
        document = setAt(document, path, structuredClone(operation.value), 'replace');
        break;
      case 'remove':
        getAt(document, path);
        document = removeAt(document, path);
        break;
      case 'copy':
      case 'move': {
        if (typeof operation.from !== 'string') throw invalid(`The ${operation.op} operation needs a from.`);
        const from = parsePointer(operation.from);
        const value = structuredClone(getAt(document, from));
        if (operation.op === 'move') document = removeAt(document, from);
        document = setAt(document, path, value, 'add');
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(document, path)) !== JSON.stringify(operation.value)) {
          throw invalid(`The test at [${operation.path}] failed.`);
        }
        break;
      default:
        throw invalid(`Unknown JSON Patch op [${operation.op}].`);
    }
  }
  return document;
}

function invalid(message: string): ValidationError {
  return ValidationError.general('[invalidPatch]', message);
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw invalid(`[${pointer}] is not a JSON Pointer.`);
  const parts = pointer.slice(1).split('/').map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  for (const part of parts) refuseProtoKey(part);
  return parts;
}

/**
 * `__proto__` as a key reaches the prototype, not a property: `/__proto__/x` would write to
 * Object.prototype for the whole process, and a merged `{"__proto__": {...}}` would give the patched
 * document inherited fields. No FusionAuth document has such a field, so it is refused.
 */
function refuseProtoKey(key: string): void {
  if (key === '__proto__') throw invalid('[__proto__] is not a field that can be patched.');
}

function getAt(document: Json, path: string[]): Json {
  let current = document;
  for (const part of path) {
    if (Array.isArray(current)) {
      const index = Number(part);
      if (!Number.isInteger(index) || index < 0 || index >= current.length) throw invalid(`No element at [/${path.join('/')}].`);
      current = current[index];
    } else if (isPlainObject(current) && Object.hasOwn(current, part)) {
      // Own properties only: `constructor` or `toString` must not walk into Object.prototype.
      current = current[part];
    } else {
      throw invalid(`No value at [/${path.join('/')}].`);
    }
  }
  return current;
}

function setAt(document: Json, path: string[], value: Json, mode: 'add' | 'replace'): Json {
  if (path.length === 0) return value;
  const parent = getAt(document, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) throw invalid(`Bad array index [${last}].`);
    if (mode === 'add') parent.splice(index, 0, value);
    else parent[index] = value;
  } else if (isPlainObject(parent)) {
    parent[last] = value;
  } else {
    throw invalid(`Cannot set a value inside a scalar at [/${path.join('/')}].`);
  }
  return document;
}

function removeAt(document: Json, path: string[]): Json {
  if (path.length === 0) return undefined;
  const parent = getAt(document, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isPlainObject(parent)) delete parent[last];
  return document;
}
