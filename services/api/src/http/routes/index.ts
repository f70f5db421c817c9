/**
 * Every authenticated router of the API, in one list. A capability adds its router here (one line);
 * the app mounts them behind API-key authentication, before the 404 and error handlers.
 */
import type { Router } from 'express';
import type { AppContext } from '../../application/context.js';
import { resources } from '../../application/resources/index.js';
import { configResourceRouter } from './config-resources.js';
import { loginRouter } from './login.js';
import { jwtRouter } from './jwt.js';
import { twoFactorRouter } from './two-factor.js';
import { loginRecordRouter } from './login-records.js';
import { passwordlessRouter } from './passwordless.js';
import { keyRouter } from './keys.js';
import { identityProviderRouter } from './identity-providers.js';
import { userRouter } from './users.js';
import { webhookDeliveryRouter } from './webhook-deliveries.js';
import { eventStreamRouter } from './event-stream.js';
import { eventSchemaRouter } from './event-schema.js';
import { eventLogRouter } from './event-log.js';

export function apiRouters(ctx: AppContext): Router[] {
  return [
    keyRouter(ctx),
    identityProviderRouter(ctx),
    userRouter(ctx),
    loginRouter(ctx),
    jwtRouter(ctx),
    twoFactorRouter(ctx),
    loginRecordRouter(ctx),
    passwordlessRouter(ctx),
    webhookDeliveryRouter(ctx),
    eventStreamRouter(ctx),
    eventSchemaRouter(),
    eventLogRouter(ctx),
    ...resources.map((resource) => configResourceRouter(ctx, resource)),
  ];
}
