/** Query-string readers for the user routes (values may repeat: `userId=a&userId=b`). */
import type { Request } from 'express';
import { FieldErrors } from '@idstream/domain';

export function queryValues(req: Request, name: string): string[] {
  const value = req.query[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string' && v !== '');
}

export const queryString = (req: Request, name: string): string | undefined => queryValues(req, name)[0];

export function queryBoolean(req: Request, name: string, errors: FieldErrors): boolean | undefined {
  const value = queryString(req, name);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') {
    errors.add(name, 'couldNotConvert', `[${name}] must be true or false.`);
    return undefined;
  }
  return value === 'true';
}

export function queryInteger(req: Request, name: string, errors: FieldErrors): number | undefined {
  const value = queryString(req, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    errors.add(name, 'couldNotConvert', `[${name}] must be a whole number.`);
    return undefined;
  }
  return Number(value);
}
