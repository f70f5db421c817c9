export * from './user-view.js';
export * from './user-view-types.js';
export type { UserViewEvolver, UserViewEvolvers } from './evolvers/types.js';
export { verificationIdKey, changePasswordIdKey, oneTimePasswordKey } from './evolvers/user-changes.js';
export * from './refresh-tokens.js';
export * from './login-records.js';
export * from './login-record-erasure.js';
