/**
 * `state` of a one-time-password login: FusionAuth returns the `state` given to the forgot-password
 * request whose change-password id authorised the change that issued the one-time password. The
 * user stream holds the chain (`ChangePasswordStarted` → `PasswordChanged` by `changePasswordId` →
 * `OneTimePasswordIssued`), so it is read once, on this rare login kind only.
 */
import { userStream, type ChangePasswordStarted, type PasswordChanged } from '@idstream/domain';
import type { AppContext } from './context.js';

export async function oneTimePasswordState(ctx: AppContext, userId: string): Promise<Record<string, unknown> | undefined> {
  const events = await ctx.eventStore.readStream(userStream(userId));
  const issued = events.findLastIndex((e) => e.type === 'OneTimePasswordIssued');
  if (issued < 0) return undefined;
  const changed = events.slice(0, issued).findLastIndex((e) => e.type === 'PasswordChanged');
  if (changed < 0 || (events[changed]!.data as PasswordChanged['data']).method !== 'changePasswordId') return undefined;
  const started = events.slice(0, changed).findLast((e) => e.type === 'ChangePasswordStarted');
  return (started?.data as ChangePasswordStarted['data'] | undefined)?.state;
}
