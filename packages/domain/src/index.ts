export * from './decider.js';
export * from './errors.js';
export * from './streams.js';
export * from './user/types.js';
export * from './user/events.js';
export * from './user/decider.js';
export * from './config/entities.js';
export * from './public-events.js';
