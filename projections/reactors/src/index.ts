export * from './webhook-reactor.js';
export * from './passwordless-email.js';
export * from './delivery-log.js';
export * from './email-reactor.js';
export * from './passwordless-erasure.js';
export * from './event-log.js';
export * from './two-factor-email.js';
export * from './two-factor-erasure.js';
