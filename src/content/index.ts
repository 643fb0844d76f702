export * from './digest.js';
export * from './verify.js';
export * from './target.js';
export * from './limit.js';
