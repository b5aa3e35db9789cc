/** The unique counter lives in decode/unique.ts (the scan detector counts targets with it too). */
export { UniqueCounter, hllAdd, hllEstimate, foldRegisters, sketchError, mix32, type UniqueCounterJson } from '../decode/unique.js';
