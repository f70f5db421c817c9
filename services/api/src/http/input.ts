/**
 * Request parsing helpers: typed reads of an untrusted JSON body that record FusionAuth field errors
 * (`[couldNotConvert]`, `[blank]`…) instead of throwing on the first problem.
 */
import { FieldErrors, ValidationError } from '@idstream/domain';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

const uuidRegex = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && uuidRegex.test(value);
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The request body as an object, or a 400 naming what is missing. */
export function requireBody(body: unknown, field: string): JsonObject {
  if (!isObject(body)) throw ValidationError.field(field, 'missing', `Your request is missing the [${field}] object.`);
  const inner = body[field];
  if (inner === undefined || inner === null) throw ValidationError.field(field, 'missing', `Your request is missing the [${field}] object.`);
  if (!isObject(inner)) throw ValidationError.field(field, 'couldNotConvert', `[${field}] must be an object.`);
  return body;
}

/** Reads optional typed fields from an object, collecting conversion errors under dotted names. */
export class Reader {
  constructor(private readonly source: JsonObject, private readonly prefix: string, readonly errors: FieldErrors) {}

  private name(field: string): string {
    return this.prefix ? `${this.prefix}.${field}` : field;
  }

  string(field: string): string | undefined {
    const value = this.source[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') {
      this.errors.add(this.name(field), 'couldNotConvert', `[${this.name(field)}] must be a string.`);
      return undefined;
    }
    return value;
  }

  boolean(field: string): boolean | undefined {
    const value = this.source[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') {
      this.errors.add(this.name(field), 'couldNotConvert', `[${this.name(field)}] must be true or false.`);
      return undefined;
    }
    return value;
  }

  number(field: string): number | undefined {
    const value = this.source[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.errors.add(this.name(field), 'couldNotConvert', `[${this.name(field)}] must be a number.`);
      return undefined;
    }
    return value;
  }

  uuid(field: string): string | undefined {
    const value = this.string(field);
    if (value !== undefined && !isUuid(value)) {
      this.errors.add(this.name(field), 'couldNotConvert', `[${this.name(field)}] must be a UUID.`);
      return undefined;
    }
    return value?.toLowerCase();
  }

  object(field: string): JsonObject | undefined {
    const value = this.source[field];
    if (value === undefined || value === null) return undefined;
    if (!isObject(value)) {
      this.errors.add(this.name(field), 'couldNotConvert', `[${this.name(field)}] must be an object.`);
      return undefined;
    }
    return value;
  }

  array(field: string): Json[] | undefined {
    const value = this.source[field];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) {
      this.errors.add(this.name(field), 'couldNotConvert', `[${this.name(field)}] must be an array.`);
      return undefined;
    }
    return value;
  }

  stringArray(field: string): string[] | undefined {
    const value = this.array(field);
    if (value === undefined) return undefined;
    if (!value.every((v) => typeof v === 'string')) {
      this.errors.add(this.name(field), 'couldNotConvert', `[${this.name(field)}] must be an array of strings.`);
      return undefined;
    }
    return value as string[];
  }
}
