export * from './image.js';
export * from './chart.js';
