/**
 * Login records: search (`/api/system/login-record/search`) and export (`…/export`, a zip of one CSV).
 * The records come from the login-records projection (eventually consistent, like FusionAuth's).
 */
import type { AppContext } from './context.js';
import type { LoginRecordBody } from '@idstream/projection-user-views';

export interface LoginRecordCriteria {
  applicationId?: string;
  userId?: string;
  start?: number;
  end?: number;
}

/** A login as FusionAuth presents it (login record search, recent logins). */
export interface PresentedLoginRecord {
  applicationId?: string;
  applicationName?: string;
  instant: number;
  ipAddress?: string;
  loginId?: string;
  userId: string;
}

/** Records matching the criteria, oldest first (`start` and `end` inclusive). */
async function matching(ctx: AppContext, criteria: LoginRecordCriteria, tenantId: string | undefined): Promise<LoginRecordBody[]> {
  const documents = await ctx.readModels.loginRecords.list(tenantId ? { tenantId } : {});
  return documents
    .map((d) => d.body)
    .filter((r) => (!criteria.userId || r.userId === criteria.userId) && (!criteria.applicationId || r.applicationId === criteria.applicationId))
    .filter((r) => (criteria.start === undefined || r.instant >= criteria.start) && (criteria.end === undefined || r.instant <= criteria.end));
}

export async function searchLoginRecords(
  ctx: AppContext,
  input: { criteria: LoginRecordCriteria; startRow: number; numberOfResults: number; retrieveTotal: boolean; tenantId?: string },
): Promise<{ logins: PresentedLoginRecord[]; total?: number }> {
  const all = await matching(ctx, input.criteria, input.tenantId);
  const page = all.slice(input.startRow, input.startRow + input.numberOfResults);
  // Names and login ids are resolved now: FusionAuth documents both as values that may change.
  const users = new Map((await ctx.readModels.users.getMany([...new Set(page.map((r) => r.userId))])).map((u) => [u.id, u.body.user]));
  const apps = await applicationNames(ctx, page);
  const logins = page.map((r) => {
    const user = users.get(r.userId);
    const loginId = r.loginId ?? user?.email ?? user?.username;
    const applicationName = r.applicationId ? apps.get(r.applicationId) : undefined;
    return { ...(r.applicationId && { applicationId: r.applicationId }), ...(applicationName && { applicationName }), instant: r.instant, ...(r.ipAddress && { ipAddress: r.ipAddress }), ...(loginId && { loginId }), userId: r.userId };
  });
  return { logins, ...(input.retrieveTotal && { total: all.length }) };
}

/** The names of the applications some logins name (read now: an application's name may change). */
export async function applicationNames(ctx: AppContext, logins: { applicationId?: string }[]): Promise<Map<string, string | undefined>> {
  const ids = [...new Set(logins.flatMap((l) => (l.applicationId ? [l.applicationId] : [])))];
  return new Map((await ctx.readModels.config.Application.getMany(ids)).map((a) => [a.id, a.body.name as string | undefined]));
}

export const DEFAULT_EXPORT_FORMAT = 'M/d/yyyy hh:mm:ss a z';
const HEADER = '"User Id ","Time ","Application Id ","IP Address ","City ","Country ","Zipcode ","Region ","Latitude ","Longitude "';

/** The CSV of FusionAuth's export: quoted header cells with a trailing space, then unquoted rows, newest first. */
export async function exportLoginRecordsCsv(ctx: AppContext, input: { criteria: LoginRecordCriteria; format: string; zoneId: string; tenantId?: string }): Promise<string> {
  const records = (await matching(ctx, input.criteria, input.tenantId)).reverse();
  const rows = records.map((r) => [r.userId, formatInstant(r.instant, input.format, input.zoneId), r.applicationId ?? '', r.ipAddress ?? '', '', '', '', '', '', ''].map(csvCell).join(','));
  return [HEADER, ...rows].join('\n') + '\n';
}

function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Whether a zone id is usable (IANA, including legacy aliases such as `US/Mountain`). */
export function isZoneId(zoneId: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zoneId });
    return true;
  } catch {
    return false;
  }
}

/**
 * Java `DateTimeFormatter` patterns, the letters FusionAuth's exports use: y M d H h m s S a z Z,
 * quoted literals ('T') and any other character as itself. Throws RangeError on other letters.
 */
export function formatInstant(instant: number, pattern: string, zoneId: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: zoneId, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', timeZoneName: 'short' })
      .formatToParts(new Date(instant))
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  const offsetName = new Intl.DateTimeFormat('en-US', { timeZone: zoneId, timeZoneName: 'longOffset' }).formatToParts(new Date(instant)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const hour24 = Number(parts.hour) % 24;
  const values: Record<string, (n: number) => string> = {
    y: (n) => (n === 2 ? parts.year!.slice(-2) : parts.year!.padStart(n, '0')),
    M: (n) => parts.month!.padStart(n, '0'),
    d: (n) => parts.day!.padStart(n, '0'),
    H: (n) => String(hour24).padStart(n, '0'),
    h: (n) => String(hour24 % 12 === 0 ? 12 : hour24 % 12).padStart(n, '0'),
    m: (n) => parts.minute!.padStart(n, '0'),
    s: (n) => parts.second!.padStart(n, '0'),
    S: (n) => String(instant % 1000).padStart(3, '0').slice(0, n),
    a: () => (hour24 < 12 ? 'AM' : 'PM'),
    z: () => parts.timeZoneName ?? 'UTC',
    Z: () => (offsetName === 'GMT' ? '+0000' : offsetName.replace('GMT', '').replace(':', '')),
  };
  let out = '';
  for (let i = 0; i < pattern.length; ) {
    const char = pattern[i]!;
    if (char === "'") {
      const end = pattern.indexOf("'", i + 1);
      out += end === i + 1 ? "'" : pattern.slice(i + 1, end < 0 ? undefined : end);
      i = end < 0 ? pattern.length : end + 1;
      continue;
    }
    let n = 1;
    while (pattern[i + n] === char) n++;
    if (/[A-Za-z]/.test(char)) {
      const value = values[char];
      if (!value) throw new RangeError(`Unsupported pattern letter [${char}]`);
      out += value(n);
    } else {
      out += char.repeat(n);
    }
    i += n;
  }
  return out;
}
