export * from './server.js';
export { DEFAULT_TENANT_ID } from './application/bootstrap.js';
