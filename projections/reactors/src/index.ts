export * from './webhook-reactor.js';
