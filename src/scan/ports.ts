/** IoT, admin and miner-relevant ports (issue 6), plus a few their neighbours use. Kept apart so the CLI's help needs no scanner code. */
export const DEFAULT_PORTS: readonly number[] = [
  21, 22, 23, 80, 139, 443, 445, 554, 1433, 1883, 2323, 2375, 3389, 5000, 5555, 5900, 6379, 7547, 8000, 8080, 8081, 8291,
  8443, 8728, 8729, 8883, 8888, 9000, 37215, 49000, 49152,
];
