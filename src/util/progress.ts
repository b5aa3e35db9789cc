/**
 * Progress on a terminal: percent of input bytes, packets/s and ETA. Nothing at all when
 * stderr is not a TTY (pipes, CI, log files), so machine-read output stays clean.
 */
import cliProgress from 'cli-progress';

export interface ProgressReporter {
  update(bytesDone: number, packets: number): void;
  stop(): void;
}

const NONE: ProgressReporter = { update() {}, stop() {} };

export function createProgress(totalBytes: number | null, enabled = process.stderr.isTTY === true): ProgressReporter {
  if (!enabled || !totalBytes) return NONE;
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: ' {bar} {percentage}% | {packets} pkts | {pps} pkts/s | {mbps} MB/s | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(totalBytes, 0, { packets: 0, pps: 0, mbps: '0.0' });
  let last = 0;
  return {
    update(bytesDone, packets) {
      const now = Date.now();
      if (now - last < 200) return; // the bar redraws at 5 fps anyway
      last = now;
      const secs = Math.max((now - started) / 1000, 1e-3);
      bar.update(Math.min(bytesDone, totalBytes), {
        packets,
        pps: Math.round(packets / secs).toLocaleString('en-US'),
        mbps: (bytesDone / secs / 1e6).toFixed(1),
      });
    },
    stop() {
      bar.stop();
    },
  };
}
