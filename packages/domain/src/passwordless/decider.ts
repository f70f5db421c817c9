/**
 * The passwordless code aggregate, one stream per code. A code is usable while it was issued, not
 * yet consumed and not expired; consuming it is the one conditional append that makes it single-use.
 * A stream may hold several generations when a (short) code value is drawn again after the earlier
 * one became unusable.
 */
import { assertNever, type Decider } from '../decider.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { PasswordlessEvent } from './events.js';

export type PasswordlessCommand =
  | {
      type: 'IssueCode';
      userId: string;
      tenantId: string;
      applicationId: string;
      now: number;
      expiresAt: number;
      sealedCode: string;
      state?: Record<string, unknown>;
      /** The legacy combined start+send also asks for the email in the same append. */
      send?: { ipAddress?: string };
    }
  | { type: 'SendCode'; now: number; ipAddress?: string }
  /** `tenantId` scopes the use: a code of another tenant is not found (and stays usable). */
  | { type: 'ConsumeCode'; now: number; tenantId?: string; ipAddress?: string };

export interface PasswordlessCode {
  userId: string;
  tenantId: string;
  applicationId: string;
  expiresAt: number;
  state?: Record<string, unknown>;
  /** Stream revision of the issuing event (the email worker reads the sealed code there). */
  issuedRevision: number;
  consumedAt?: number;
}

export interface PasswordlessState {
  /** Events folded so far; the next event's revision. */
  revision: number;
  code?: PasswordlessCode;
}

export function isUsable(state: PasswordlessState, now: number): state is PasswordlessState & { code: PasswordlessCode } {
  return state.code !== undefined && state.code.consumedAt === undefined && now < state.code.expiresAt;
}

export const passwordlessDecider: Decider<PasswordlessCommand, PasswordlessEvent, PasswordlessState> = {
  initialState: () => ({ revision: 0 }),

  decide(command, state) {
    switch (command.type) {
      case 'IssueCode': {
        // A live code with the same value belongs to someone else: the caller draws a new one.
        if (isUsable(state, command.now)) throw new ConflictError('passwordless code collision');
        const ids = { userId: command.userId, tenantId: command.tenantId, applicationId: command.applicationId };
        const issued: PasswordlessEvent = {
          type: 'PasswordlessCodeIssued',
          data: { ...ids, instant: command.now, expiresAt: command.expiresAt, sealedCode: command.sealedCode, ...(command.state && { state: command.state }) },
        };
        if (!command.send) return [issued];
        const { ipAddress } = command.send;
        return [issued, { type: 'PasswordlessCodeSent', data: { ...ids, instant: command.now, issuedRevision: state.revision, ...(ipAddress && { ipAddress }) } }];
      }
      case 'SendCode': {
        if (!isUsable(state, command.now)) throw new NotFoundError('passwordless code');
        const { userId, tenantId, applicationId, issuedRevision } = state.code;
        return [{ type: 'PasswordlessCodeSent', data: { userId, tenantId, applicationId, instant: command.now, issuedRevision, ...(command.ipAddress && { ipAddress: command.ipAddress }) } }];
      }
      case 'ConsumeCode': {
        if (!isUsable(state, command.now) || (command.tenantId && state.code.tenantId !== command.tenantId)) throw new NotFoundError('passwordless code');
        const { userId, tenantId, applicationId } = state.code;
        return [{ type: 'PasswordlessCodeConsumed', data: { userId, tenantId, applicationId, instant: command.now, ...(command.ipAddress && { ipAddress: command.ipAddress }) } }];
      }
      default:
        return assertNever(command);
    }
  },

  evolve(state, event) {
    const revision = state.revision + 1;
    switch (event.type) {
      case 'PasswordlessCodeIssued': {
        const { userId, tenantId, applicationId, expiresAt, state: callerState } = event.data;
        return { revision, code: { userId, tenantId, applicationId, expiresAt, issuedRevision: state.revision, ...(callerState && { state: callerState }) } };
      }
      case 'PasswordlessCodeSent':
      case 'PasswordlessEmailDelivered':
      case 'PasswordlessEmailFailed':
        return { ...state, revision };
      case 'PasswordlessCodeConsumed':
        return { revision, ...(state.code && { code: { ...state.code, consumedAt: event.data.instant } }) };
      default:
        return assertNever(event);
    }
  },
};
