export * from './types.js';
export * from './filter.js';
export * from './copier.js';
