/**
 * Seed data for the device page: a sensor's behaviour baselines learned by the real
 * `Baselines` (a camera watched for 8 days: learned; a phone watched for 2: learning) and the
 * camera's two anomaly alerts built from the anomalies those baselines raised, shaped as the
 * device observer emits them (devices/observer.ts).
 */
import { Baselines, type Anomaly, type BaselineState } from '../../src/devices/baseline.js';
import { eveTimestamp } from '../../src/events/eve-format.js';
import { eventId } from './collector.js';

const H = 3_600_000_000;
const D = 24 * H;

export const CAMERA = { id: 'dev-cam-7', mac: '02:42:ac:11:00:77', ip: '192.168.1.77', type: 'ip-camera', vendor: 'Hikvision', name: 'porch-camera' };
export const PHONE = { id: 'dev-phone-8', mac: '02:42:ac:11:00:78', ip: '192.168.1.78', type: 'phone', vendor: 'Apple', name: 'anna-phone' };
const SIGNATURES: Record<Anomaly['cause'], [number, string]> = {
  'mining-port': [9101201, 'MINEWATCH ANOMALY device opened a long connection to a new host on a mining port'],
  'upload-jump': [9101202, 'MINEWATCH ANOMALY device uploaded many times its baseline'],
};

export interface SeededBaselines {
  state: BaselineState;
  /** The camera's anomaly alerts (mining port, then upload jump), EVE alert events. */
  anomalies: Record<string, unknown>[];
  /** When the camera's baseline began (ms). */
  cameraSinceMs: number;
}

/** One anomaly as the observer's alert: the device's connection, the anomaly's signature and its baseline and deviation as evidence. */
export function anomalyAlert(a: Anomaly, device: typeof CAMERA, sensor = 'home-router-1'): Record<string, unknown> {
  const [sid, signature] = SIGNATURES[a.cause];
  return {
    timestamp: eveTimestamp(a.tsUs), event_type: 'alert', flow_id: 2_000_000 + sid, src_ip: device.ip, src_port: 50_000 + (sid % 100),
    dest_ip: a.remote, ...(a.port ? { dest_port: a.port } : {}), proto: 'TCP',
    alert: { action: 'allowed', gid: 1, signature_id: sid, rev: 1, signature, category: 'Potentially Bad Traffic', severity: a.severity },
    minewatch: { detector: 'anomaly', sensor, event_id: eventId(Math.floor(a.tsUs / 1000)), device, evidence: { cause: a.cause, baseline: a.baseline, deviation: a.deviation } },
  };
}

/** Baselines ending about `endMs` (the camera's anomalies in its last day). */
export function seedBaselines(endMs: number, sensor = 'home-router-1'): SeededBaselines {
  const b = new Baselines();
  const t0 = (endMs - 9 * 86_400_000) * 1000;
  const start = t0 - (t0 % H);
  for (let h = 0; h < 8 * 24; h++) {
    b.observe({ tsUs: start + h * H + 1000, device: CAMERA.id, type: CAMERA.type, remote: h % 2 ? '52.1.1.1' : '52.1.1.2', port: h % 3 ? 443 : 8000, upBytes: 20e6 + (h % 7) * 1e6, durationUs: 50 * 60e6, country: 'US' });
  }
  const phoneStart = start + 6 * D;
  for (let h = 0; h < 2 * 24; h += 3) {
    b.observe({ tsUs: phoneStart + h * H, device: PHONE.id, type: PHONE.type, remote: '17.253.1.1', port: 443, upBytes: 2e6, durationUs: 60e6, country: 'US' });
  }
  const at = start + 8 * D + 5 * H;
  const miner = b.checkLongLived({ tsUs: at, device: CAMERA.id, type: CAMERA.type, remote: '45.76.102.9', port: 3333, upBytes: 1e5, durationUs: H, country: 'NL' });
  const jump = b.observe({ tsUs: at + 2 * H, device: CAMERA.id, type: CAMERA.type, remote: '185.199.1.9', port: 443, upBytes: 3e9, durationUs: H, country: 'US' });
  if (!miner || jump.length !== 1) throw new Error('the seeded baselines raised no anomaly: devices/baseline.ts changed');
  return { state: b.exportState(), anomalies: [anomalyAlert(miner, CAMERA, sensor), anomalyAlert(jump[0], CAMERA, sensor)], cameraSinceMs: Math.floor((start + 1000) / 1000) };
}
