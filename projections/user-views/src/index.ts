export * from './user-view.js';
