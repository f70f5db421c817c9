import type { Request } from 'express';
import type { RequestInfo } from '@idstream/domain';
import type { EventMetadata } from '@idstream/eventstore';

/** Client IP by FusionAuth's rule: explicit value, else X-Forwarded-For's first hop, else the socket. */
export function clientIp(req: Request, explicit?: string): string | undefined {
  if (explicit) return explicit;
  const forwarded = req.get('x-forwarded-for')?.split(',')[0]?.trim();
  return forwarded || req.socket.remoteAddress || undefined;
}

export function requestInfo(req: Request, explicitIp?: string): RequestInfo {
  const ipAddress = clientIp(req, explicitIp);
  const userAgent = req.get('user-agent');
  return { ...(ipAddress && { ipAddress }), ...(userAgent && { userAgent }) };
}

/** Event metadata linking an event to the request that caused it. */
export function requestMetadata(req: Request, tenantId?: string): EventMetadata {
  return { requestId: req.requestId, ...(tenantId && { tenantId }) };
}
