export * from './config-views.js';
