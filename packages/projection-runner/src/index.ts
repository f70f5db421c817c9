export * from './handler.js';
export * from './runner.js';
export * from './view-handler.js';
export * from './position-waiter.js';
export * from './shared-feed.js';
export * from './deferred-checkpoints.js';
