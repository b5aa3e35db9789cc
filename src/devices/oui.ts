/**
 * MAC vendor from the IEEE registry (the `oui-data` package: MA-L 24-bit, MA-M 28-bit and
 * MA-S 36-bit assignments, keyed by 6, 7 and 9 hex digits). Loaded once, on the first
 * look-up: runs that never ask pay nothing. The longest assignment wins (MA-M and MA-S are
 * carved out of MA-L blocks registered to the IEEE Registration Authority).
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

export type OuiTable = Record<string, string> | Map<string, string>;

let table: Map<string, string> | null = null;

/**
 * The registry as assignment → organisation (the entry's first line only). Read line by line
 * from the package's JSON (one `"KEY": "value",` per line) rather than JSON.parse of the
 * whole file: a third of the memory (≈10 MB instead of ≈33 MB), which matters on a small box.
 */
function loadTable(): Map<string, string> {
  if (table) return table;
  table = new Map();
  let text: string;
  try {
    const require = createRequire(import.meta.url);
    text = readFileSync(require.resolve('oui-data'), 'utf8');
  } catch {
    return table; // the registry package is missing: vendors stay unknown, nothing else changes
  }
  const re = /^ "([0-9A-F]{6,9})": "((?:[^"\\\n]|\\[^n])*)/gm;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) table.set(m[1], (m[2].includes('\\') ? (JSON.parse(`"${m[2]}"`) as string) : m[2]).trim());
  return table;
}

function get(t: OuiTable, key: string): string | undefined {
  return t instanceof Map ? t.get(key) : t[key];
}

/** The registry entry's first line (the organisation), or '' when the MAC is not assigned. */
export function lookupVendor(mac: string, t: OuiTable = loadTable()): string {
  const hex = mac.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  if (hex.length < 6) return '';
  const hit = (hex.length >= 9 ? get(t, hex.slice(0, 9)) : undefined) ?? (hex.length >= 7 ? get(t, hex.slice(0, 7)) : undefined) ?? get(t, hex.slice(0, 6));
  if (!hit) return '';
  return hit.split('\n', 1)[0].trim();
}

/** True when the locally-administered bit is set (a randomised or software-assigned MAC). */
export function isLocallyAdministered(mac: string): boolean {
  const first = parseInt(mac.slice(0, 2), 16);
  return Number.isFinite(first) && (first & 0x02) !== 0;
}

/** True for group (multicast/broadcast) addresses, which are never a device. */
export function isGroupMac(mac: string): boolean {
  const first = parseInt(mac.slice(0, 2), 16);
  return !Number.isFinite(first) || (first & 0x01) !== 0;
}

/**
 * An IEEE registry CSV (`Registry,Assignment,Organization Name,Organization Address`, as in
 * the Debian ieee-data files) as a table in the same shape (for tests and offline updates).
 */
export function parseIeeeCsv(text: string, into: Record<string, string> = {}): Record<string, string> {
  for (const line of text.split('\n')) {
    const m = /^(MA-[LMS]),([0-9A-Fa-f]{6,9}),("(?:[^"]|"")*"|[^,]*)/.exec(line);
    if (!m) continue;
    const name = m[3].startsWith('"') ? m[3].slice(1, -1).replace(/""/g, '"') : m[3];
    into[m[2].toUpperCase()] = name.trim();
  }
  return into;
}
