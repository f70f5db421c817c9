export * from './webhook-reactor.js';
export * from './delivery-log.js';
