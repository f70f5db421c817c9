export * from './passwords.js';
// Unambiguous names for callers that import from several modules of this package.
export { hash as hashPassword, verify as verifyPassword } from './passwords.js';
export * from './secrets.js';
export * from './envelope.js';
export * from './signing-keys.js';
