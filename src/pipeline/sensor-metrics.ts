/**
 * The sensor's Prometheus endpoint (`--metrics HOST:PORT`, GET /metrics): gauges read from the
 * running sensor's health at scrape time, plus prom-client's process metrics.
 */
import { createServer, type Server } from 'node:http';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { UsageError } from '../util/errors.js';
import type { SensorHealth } from './sensor.js';

type NumericHealthKey = { [K in keyof SensorHealth]: SensorHealth[K] extends number | null ? K : never }[keyof SensorHealth];

const GAUGES: Array<[NumericHealthKey, string, string]> = [
  ['packets', 'minewatch_sensor_packets_total', 'Packets seen since start'],
  ['bytes', 'minewatch_sensor_bytes_total', 'Bytes seen since start'],
  ['packets_per_s', 'minewatch_sensor_packets_per_second', 'Packets per second over the last health interval'],
  ['bytes_per_s', 'minewatch_sensor_bytes_per_second', 'Bytes per second over the last health interval'],
  ['capture_dropped', 'minewatch_sensor_capture_dropped_total', 'Frames the cap backend dropped in user space because the pipeline was behind (the batch addon leaves them to the kernel ring: pcap_dropped)'],
  ['pcap_received', 'minewatch_sensor_pcap_received_total', 'libpcap pcap_stats ps_recv: packets the kernel received for the capture (batch addon only)'],
  ['pcap_dropped', 'minewatch_sensor_pcap_dropped_total', 'libpcap pcap_stats ps_drop: packets dropped because the kernel buffer was full (batch addon only)'],
  ['pcap_ifdropped', 'minewatch_sensor_pcap_ifdropped_total', 'libpcap pcap_stats ps_ifdrop: packets the interface or driver dropped (batch addon only)'],
  ['flows', 'minewatch_sensor_flows', 'Flows in the flow table'],
  ['alerts', 'minewatch_sensor_alerts_total', 'Alerts since start'],
  ['events_stored', 'minewatch_sensor_events_stored_total', 'Events committed to the local store since start'],
  ['store_pending', 'minewatch_sensor_store_pending', 'Events waiting for the next store commit'],
  ['store_errors', 'minewatch_sensor_store_errors_total', 'Failed store writes (retried)'],
  ['devices', 'minewatch_sensor_devices', 'Devices in the inventory'],
  ['device_events', 'minewatch_sensor_device_events_total', 'Device events (new or changed devices) since start'],
  ['outbox_depth', 'minewatch_sensor_outbox_events', 'Events in the --send outbox not yet acknowledged'],
  ['rss_bytes', 'minewatch_sensor_rss_bytes', 'Resident memory'],
];

/** "127.0.0.1:9101" → host and port. */
export function parseListen(text: string, option = '--metrics'): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || m[1] === '' || port > 65535) throw new UsageError(`${option} must be HOST:PORT, e.g. 127.0.0.1:9101 (got "${text}")`, 'usage.bad-listen', { subject: option });
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

export function sensorRegistry(health: () => SensorHealth): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const [key, name, help] of GAUGES) {
    if (key === 'pcap_received' || key === 'pcap_dropped' || key === 'pcap_ifdropped') {
      // labelled by backend so that, when the capture cannot tell (cap, a file replay), the
      // series is absent rather than a misleading 0 (prom-client prints 0 for an unset unlabelled gauge)
      new Gauge({
        name, help, labelNames: ['backend'], registers: [registry],
        collect() { const h = health(); this.reset(); const v = h[key]; if (v !== null) this.set({ backend: h.capture_backend }, v); },
      });
      continue;
    }
    new Gauge({ name, help, registers: [registry], collect() { this.set(health()[key] ?? 0); } });
  }
  new Gauge({
    name: 'minewatch_sensor_capture_info', help: 'The capture backend in use (label backend: libpcap-batch, cap or file); always 1',
    labelNames: ['backend'], registers: [registry],
    collect() { this.reset(); this.set({ backend: health().capture_backend }, 1); },
  });
  return registry;
}

/** Serves GET /metrics; resolves with the listening server (port 0: see server.address()). */
export async function serveMetrics(listen: { host: string; port: number }, health: () => SensorHealth): Promise<Server> {
  const registry = sensorRegistry(health);
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': registry.contentType }).end(text);
    }, (err: Error) => {
      res.writeHead(500).end(err.message);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  server.unref();
  return server;
}
