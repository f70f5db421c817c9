/**
 * Stream names are built and parsed here only. Reservation streams hash the reserved value so that
 * no personal data (an email, a username) ever appears in a stream name.
 */
import { createHash } from 'node:crypto';

/** `login-<userId>` holds login records apart from `user-<userId>`, so user commands never fold them. */
export const entityCategories = ['user', 'login', 'tenant', 'application', 'apikey', 'webhook', 'key', 'identityprovider', 'idplink', 'idpidentity', 'idppending', 'samlrequest', 'samlassertion', 'webhookdelivery', 'erasure', 'import', 'refreshtoken', 'twofactor', 'twofactortrust', 'eventlog', 'emailtemplate'] as const;
export type EntityCategory = (typeof entityCategories)[number];

export type UniqueField = 'email' | 'username';

export type ParsedStreamName =
  | { kind: 'entity'; category: EntityCategory; id: string }
  | { kind: 'reservation'; tenantId: string; field: UniqueField; digest: string };

const uuidPattern = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const entityRegex = new RegExp(`^(${entityCategories.join('|')})-(${uuidPattern})$`);
const reservationRegex = new RegExp(`^unique-(email|username)-(${uuidPattern})-([0-9a-f]{64})$`);

export function entityStream(category: EntityCategory, id: string): string {
  return `${category}-${id.toLowerCase()}`;
}

export const userStream = (userId: string): string => entityStream('user', userId);
export const loginStream = (userId: string): string => entityStream('login', userId);

/** The user an event of a user or login stream is about. */
export function subjectUserId(streamName: string): string | undefined {
  const parsed = parseStreamName(streamName);
  return parsed?.kind === 'entity' && (parsed.category === 'user' || parsed.category === 'login') ? parsed.id : undefined;
}

/** Normalises a unique value the way FusionAuth compares it: case-insensitively. */
export function normaliseUnique(value: string): string {
  return value.trim().toLowerCase();
}

export function reservationStream(tenantId: string, field: UniqueField, value: string): string {
  const digest = createHash('sha256').update(normaliseUnique(value)).digest('hex');
  return `unique-${field}-${tenantId.toLowerCase()}-${digest}`;
}

export function parseStreamName(name: string): ParsedStreamName | undefined {
  const entity = entityRegex.exec(name);
  if (entity) return { kind: 'entity', category: entity[1] as EntityCategory, id: entity[2]! };
  const reservation = reservationRegex.exec(name);
  if (reservation) {
    return { kind: 'reservation', field: reservation[1] as UniqueField, tenantId: reservation[2]!, digest: reservation[3]! };
  }
  return undefined;
}
