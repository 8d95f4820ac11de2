export * from './errors.js';
export * from './formats.js';
export * from './limits.js';
export * from './timestamp.js';
export * from './thumbnail.js';
export * from './probe.js';
export * from './naming.js';
export { sniffFormat } from './sniff.js';
export type { ImageInput } from './input.js';
