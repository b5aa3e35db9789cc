/** The unique counter lives in decode/unique.ts (the scan detector counts targets with it too). */
export { UniqueCounter, hllEstimate, sketchError, mix32, type UniqueCounterJson } from '../decode/unique.js';
