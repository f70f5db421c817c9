export * from './worker.js';
export * from './passwordless-email.js';
export * from './webhook-sender.js';
