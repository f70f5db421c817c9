export * from './adapters.js';
export * from './logger.js';
export * from './master-key.js';
export * from './secret-box.js';
export * from './signing-keys.js';
export * from './shutdown.js';
export * from './tracing.js';
export * from './instrumentation.js';
