export * from './passwords.js';
export * from './secrets.js';
export * from './envelope.js';
