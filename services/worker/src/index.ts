export * from './worker.js';
export * from './webhook-sender.js';
