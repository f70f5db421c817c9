/**
 * Login records (`/api/system/login-record/search|export`): one document per successful login, with
 * an id that sorts by instant, so a listing comes back in time order.
 */
import type { LoginSucceeded } from '@idstream/domain';
import type { DocumentProjection } from '@idstream/projection-runner';

export interface LoginRecordBody {
  userId: string;
  applicationId?: string;
  instant: number;
  ipAddress?: string;
  loginId?: string;
}

export const LOGIN_RECORDS_COLLECTION = 'login_records';
export const LOGIN_RECORDS_CHECKPOINT = 'login-records';

export const loginRecordsProjection: DocumentProjection<LoginRecordBody> = {
  documentId(event) {
    if (event.type !== 'LoginSucceeded') return undefined;
    const { instant } = (event as unknown as LoginSucceeded).data;
    return `${String(instant).padStart(15, '0')}-${event.id}`;
  },
  evolve(_document, event) {
    const data = (event as unknown as LoginSucceeded).data;
    const loginId = (data as { loginId?: string }).loginId;
    return {
      id: `${String(data.instant).padStart(15, '0')}-${event.id}`,
      tenantId: data.tenantId,
      position: event.position,
      deleted: false,
      keys: [],
      body: {
        userId: data.userId,
        instant: data.instant,
        ...(data.applicationId && { applicationId: data.applicationId }),
        ...(data.info?.ipAddress && { ipAddress: data.info.ipAddress }),
        ...(loginId && { loginId }),
      },
    };
  },
};
