export * from './packet.js';
export * from './flow.js';
export * from './stream.js';
export * from './detector.js';
export * from './eve.js';
export * from './counters.js';
export * from './intel.js';
export * from './messages.js';
