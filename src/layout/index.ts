export * from './paths.js';
export * from './index-json.js';
export * from './target.js';
export * from './validate.js';
