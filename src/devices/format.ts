/** The text listing of devices in the analyze summary. */
import type { Device } from './inventory.js';

export function formatDevices(devices: readonly Device[], alerts: ReadonlyMap<string, number> = new Map(), limit = 50): string[] {
  if (devices.length === 0) return [];
  const lines = [`devices: ${devices.length}`];
  for (const d of devices.slice(0, limit)) {
    const type = d.type === 'unknown' && d.guess !== 'unknown' ? `unknown (maybe ${d.guess})` : d.type;
    const names = d.hostnames.slice(0, 3).join(', ');
    const ips = d.ips.slice(0, 4).join(', ') + (d.ips.length > 4 ? ` +${d.ips.length - 4}` : '');
    const macs = d.macs.length > 1 ? `${d.mac} (+${d.macs.length - 1} MACs)` : d.mac;
    const n = alerts.get(d.id) ?? 0;
    lines.push(`  ${type.padEnd(14)} ${String(d.score).padStart(3)}  ${macs}  ${d.vendor || (d.randomized ? 'randomised MAC' : '?')}${names ? `  [${names}]` : ''}${ips ? `  ${ips}` : ''}${n > 0 ? `  alerts ${n}` : ''}`);
  }
  if (devices.length > limit) lines.push(`  … ${devices.length - limit} more (see --devices FILE)`);
  return lines;
}
