export * from './media-types.js';
export * from './schemas.js';
export * from './platform.js';
export * from './manifest.js';
