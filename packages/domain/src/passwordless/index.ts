export * from './events.js';
export * from './streams.js';
export * from './decider.js';
export * from './links.js';
