export * from './search-handler.js';
