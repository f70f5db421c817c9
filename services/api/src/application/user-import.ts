/**
 * `POST /api/user/import`: many users in one request. The whole request is validated first (every
 * row, duplicates inside the request, and with `validateDbConstraints` against existing users); then
 * users are written in batches, each ONE atomic multi-stream append of the users' `UserImported`
 * events and their email/username reservations. One `UsersImported` event on `import-<id>` (ids only)
 * becomes the single `user.bulk.create` webhook.
 */
import { randomUUID } from 'node:crypto';
import { invalidStoredPassword, isPasswordScheme, defaultFactor, type PasswordSchemeName } from '@idstream/crypto';
import { FieldErrors, ValidationError, entityStream, normaliseUnique, reservationStream, userStream, type ConfigDocument, type Registration, type StoredPassword, type UserRecord, type UsersImported } from '@idstream/domain';
import { WrongExpectedRevisionError, type AppendRequest, type EventData } from '@idstream/eventstore';
import { emailKey, usernameKey } from '@idstream/projection-user-views';
import type { AppContext } from './context.js';
import { orderedUuid } from './ordered-uuid.js';
import { isObject, isUuid } from '../http/input.js';
import { parseUser } from './user-input.js';
import { hashForTenant } from './users.js';

/**
 * Users per atomic append (3 events each: the user and two reservations). Few, large transactions;
 * but 6,000 events stay under the shared event feed's per-subscriber queue (10,000), past which every
 * projection drops to reading the log on its own (measured: 7 runners re-reading and re-parsing it).
 */
const BATCH_SIZE = 2_000;

export interface ImportInput {
  users: unknown[];
  encryptionScheme?: string;
  factor?: number;
  validateDbConstraints: boolean;
  tenant: ConfigDocument;
}

interface ImportRow {
  user: UserRecord;
  password?: StoredPassword;
}

export async function importUsers(ctx: AppContext, input: ImportInput): Promise<{ count: number }> {
  const errors = new FieldErrors();
  const now = ctx.now();
  if (input.users.length === 0) throw ValidationError.field('users', 'blank', 'You must specify at least one user in [users].');
  if (input.encryptionScheme !== undefined && !isPasswordScheme(input.encryptionScheme)) errors.add('encryptionScheme', 'invalid', `The encryption scheme [${input.encryptionScheme}] is not supported.`);
  const applications = new Set((await ctx.readModels.config.Application.list({ limit: 100_000 })).filter((a) => a.tenantId === input.tenant.id || !a.tenantId).map((a) => a.id));
  const seen = { id: new Map<string, number>(), email: new Map<string, number>(), username: new Map<string, number>() };
  const pending: { row: ImportRow; plaintext?: { password: string; scheme?: string; factor?: number } }[] = [];

  input.users.forEach((raw, i) => {
    const p = `users[${i}]`;
    if (!isObject(raw)) {
      errors.add(p, 'couldNotConvert', `[${p}] must be an object.`);
      return;
    }
    const source = raw as Record<string, unknown>;
    const parsed = parseUser(source, errors, { prefix: p, tenant: input.tenant, disableDomainBlock: true, secrets: ctx.secrets, now });
    if (source.id !== undefined && !isUuid(source.id)) errors.add(`${p}.id`, 'couldNotConvert', `[${p}.id] must be a UUID.`);
    const id = (isUuid(source.id) ? source.id : randomUUID()).toLowerCase();
    for (const [field, value] of [['id', id], ['email', parsed.email], ['username', parsed.username]] as const) {
      if (!value) continue;
      const key = normaliseUnique(value);
      if (seen[field].has(key)) errors.add(`${p}.${field}`, 'duplicate', `[${p}.${field}] duplicates users[${seen[field].get(key)}].${field} in this request.`);
      else seen[field].set(key, i);
    }
    if (!parsed.password) errors.add(`${p}.password`, 'blank', `You must specify the [${p}.password] property.`);
    let stored: StoredPassword | undefined;
    if (parsed.password && parsed.encryptionScheme && isPasswordScheme(parsed.encryptionScheme)) {
      // A hash from another system: stored as given, checked for usable parameters.
      const scheme = parsed.encryptionScheme as PasswordSchemeName;
      stored = { encryptionScheme: scheme, factor: parsed.factor ?? (isPasswordScheme(scheme) ? defaultFactor(scheme) : 1), salt: parsed.salt ?? '', hash: parsed.password };
      const problem = invalidStoredPassword(stored);
      if (problem) errors.add(`${p}.password`, 'invalid', `[${p}] cannot be imported: ${problem}.`);
    }
    const registrations = parseRegistrations(source.registrations, errors, p, applications, now);
    const bool = (field: string, fallback: boolean) => {
      const value = source[field];
      if (value === undefined || value === null) return fallback;
      if (typeof value !== 'boolean') errors.add(`${p}.${field}`, 'couldNotConvert', `[${p}.${field}] must be true or false.`);
      return value === true;
    };
    const instant = (field: string) => {
      const value = source[field];
      if (value === undefined || value === null) return undefined;
      if (typeof value !== 'number' || !Number.isInteger(value)) errors.add(`${p}.${field}`, 'couldNotConvert', `[${p}.${field}] must be an instant.`);
      return typeof value === 'number' ? value : undefined;
    };
    const verified = bool('verified', false);
    const insertInstant = instant('insertInstant') ?? now;
    const verifiedInstant = instant('verifiedInstant');
    const user: UserRecord = {
      ...parsed.fields,
      id,
      tenantId: input.tenant.id,
      // Idstream default: imported users are active (FusionAuth defaults to false; see README).
      active: bool('active', true),
      verified,
      ...(verified && { verifiedInstant: verifiedInstant ?? insertInstant }),
      insertInstant,
      lastUpdateInstant: now,
      passwordChangeRequired: source.passwordChangeRequired === true,
      passwordLastUpdateInstant: instant('passwordLastUpdateInstant') ?? now,
      registrations,
    };
    pending.push({ row: { user, ...(stored && { password: stored }) }, ...(parsed.password && !parsed.encryptionScheme && { plaintext: { password: parsed.password, ...(input.encryptionScheme && { scheme: input.encryptionScheme }), ...(input.factor && { factor: input.factor }) } }) });
  });
  errors.throwIfAny();

  if (input.validateDbConstraints) await checkExisting(ctx, input.tenant.id, pending.map((p) => p.row.user));

  // Plaintext rows are hashed now (slow by design: argon2id); hashes were validated above.
  for (const item of pending) {
    if (item.plaintext) item.row.password = await hashForTenant(input.tenant, item.plaintext.password, item.plaintext.scheme, item.plaintext.factor);
  }

  const importId = randomUUID();
  let position = 0;
  for (let start = 0; start < pending.length; start += BATCH_SIZE) {
    const batch = pending.slice(start, start + BATCH_SIZE).map((p) => p.row);
    const previous = position;
    position = await appendBatch(ctx, input.tenant.id, importId, batch, start);
    // One batch in flight ahead of the user views: appending faster than they apply only queues events
    // that every projection then drops and re-reads from the store (the shared feed's queues overflow).
    if (previous > 0) await ctx.waiters.users.waitFor(previous, 300_000);
  }
  const summary: UsersImported = { type: 'UsersImported', data: { importId, tenantId: input.tenant.id, userIds: pending.map((p) => p.row.user.id), instant: now } };
  const appended = await ctx.eventStore.append(entityStream('import', importId), [{ id: randomUUID(), type: summary.type, data: summary.data }], 'no_stream');
  position = Math.max(position, appended.position);
  await ctx.waiters.users.waitFor(position, 300_000);
  return { count: pending.length };
}

function parseRegistrations(value: unknown, errors: FieldErrors, p: string, applications: Set<string>, now: number): Registration[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    errors.add(`${p}.registrations`, 'couldNotConvert', `[${p}.registrations] must be an array.`);
    return [];
  }
  const seenApps = new Set<string>();
  return value.flatMap((raw, j) => {
    const name = `${p}.registrations[${j}]`;
    if (!isObject(raw)) {
      errors.add(name, 'couldNotConvert', `[${name}] must be an object.`);
      return [];
    }
    const applicationId = isUuid(raw.applicationId) ? raw.applicationId.toLowerCase() : undefined;
    if (!applicationId) errors.add(`${name}.applicationId`, 'couldNotConvert', `[${name}.applicationId] must be a UUID.`);
    else if (!applications.has(applicationId)) errors.add(`${name}.applicationId`, 'invalid', `The application [${applicationId}] does not exist in this tenant.`);
    else if (seenApps.has(applicationId)) errors.add(`${name}.applicationId`, 'duplicate', 'One registration per application.');
    if (applicationId) seenApps.add(applicationId);
    if (raw.roles !== undefined && raw.roles !== null && (!Array.isArray(raw.roles) || !raw.roles.every((r) => typeof r === 'string'))) errors.add(`${name}.roles`, 'couldNotConvert', `[${name}.roles] must be an array of strings.`);
    return [{
      ...raw,
      id: isUuid(raw.id) ? raw.id.toLowerCase() : randomUUID(),
      applicationId: applicationId ?? '',
      roles: Array.isArray(raw.roles) ? [...new Set(raw.roles as string[])].sort() : [],
      verified: raw.verified === true,
      insertInstant: typeof raw.insertInstant === 'number' ? raw.insertInstant : now,
    } as Registration];
  });
}

async function checkExisting(ctx: AppContext, tenantId: string, users: UserRecord[]): Promise<void> {
  const errors = new FieldErrors();
  const existing = new Set((await ctx.readModels.users.getMany(users.map((u) => u.id))).map((v) => v.id));
  for (const [i, user] of users.entries()) {
    if (existing.has(user.id)) errors.add(`users[${i}].id`, 'duplicate', `A User with Id [${user.id}] already exists.`);
    if (user.email && (await ctx.readModels.users.findByKey(emailKey(tenantId, user.email)))) errors.add(`users[${i}].email`, 'duplicate', `A User with email = [${user.email}] already exists.`);
    if (user.username && (await ctx.readModels.users.findByKey(usernameKey(tenantId, user.username)))) errors.add(`users[${i}].username`, 'duplicate', `A User with username = [${user.username}] already exists.`);
  }
  errors.throwIfAny();
}

/** One atomic append for a batch; a taken reservation is a 400 naming the row, a released one is reused. */
async function appendBatch(ctx: AppContext, tenantId: string, importId: string, rows: ImportRow[], offset: number): Promise<number> {
  const expected = new Map<string, number | 'no_stream'>();
  for (let attempt = 0; ; attempt++) {
    const requests: AppendRequest[] = [];
    const owners = new Map<string, number>();
    rows.forEach((row, i) => {
      const user = row.user;
      // Event ids in time order: the event store's id index grows at its edge (see ordered-uuid.ts).
      const event: EventData = { id: orderedUuid(), type: 'UserImported', data: { user, importId, ...(row.password && { password: row.password }) } };
      requests.push({ streamName: userStream(user.id), expectedRevision: 'no_stream', events: [event] });
      for (const field of ['email', 'username'] as const) {
        const value = user[field];
        if (!value) continue;
        const stream = reservationStream(tenantId, field, value);
        owners.set(stream, offset + i);
        requests.push({ streamName: stream, expectedRevision: expected.get(stream) ?? 'no_stream', events: [{ id: orderedUuid(), type: 'UniqueValueReserved', data: { ownerId: user.id, field } }] });
      }
    });
    try {
      return (await ctx.eventStore.appendMultiple(requests)).position;
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError) || attempt > 2 * rows.length) throw error;
      const row = owners.get(error.streamName);
      if (row === undefined) {
        throw ValidationError.field(`users[${offset + rows.findIndex((r) => userStream(r.user.id) === error.streamName)}].id`, 'duplicate', 'A User with this Id already exists.');
      }
      const events = await ctx.eventStore.readStream(error.streamName);
      const last = events[events.length - 1];
      const field = error.streamName.startsWith('unique-email-') ? 'email' : 'username';
      if (last && last.type === 'UniqueValueReserved') {
        throw ValidationError.field(`users[${row}].${field}`, 'duplicate', `A User with this ${field} already exists.`);
      }
      // Released earlier (deleted or renamed user): take it over at its revision.
      expected.set(error.streamName, last ? last.revision : 'no_stream');
    }
  }
}
