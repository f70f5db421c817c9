export * from './projector.js';
export * from './read-models.js';
