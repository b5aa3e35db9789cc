/**
 * Every built-in detector's id (the `minewatch.detector` field of its alerts), in the order
 * they run. Kept apart from the detectors themselves so the command line can check
 * `--detectors` without loading them; a test holds it equal to createDetectorSet's list.
 */
export const DETECTOR_IDS = [
  'stratum', 'pool-dns', 'pool-tls', 'pool-http', 'browser-miner', 'mining-encrypted', 'scan', 'bruteforce', 'redis-exploit',
] as const;

export type DetectorId = (typeof DETECTOR_IDS)[number];
