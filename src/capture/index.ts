/** The capture stage's public surface: file and live sources behind the CaptureSource contract. */
export { openCapture, probeCaptureFile, DEFAULT_CHUNK_BYTES } from './open.js';
export type { FileCaptureSource, CaptureFileInfo, CaptureFormat, OpenCaptureOptions } from './open.js';
export { openLive } from './live.js';
export type { OpenLiveOptions } from './live.js';
export { BatchArrays, CaptureError } from './source.js';
export type { CaptureSource, FrameBatch, LiveCaptureSource, PcapStats } from './source.js';
