/** Theme (system, light, dark) and time zone (UTC or local), kept in localStorage. */
export type Theme = 'system' | 'light' | 'dark';
export type Zone = 'utc' | 'local';

export function theme(): Theme {
  const t = localStorage.getItem('mw.theme');
  return t === 'light' || t === 'dark' ? t : 'system';
}

export function setTheme(t: Theme): void {
  localStorage.setItem('mw.theme', t);
  applyTheme();
}

/** The theme in effect (system follows prefers-color-scheme). */
export function effectiveTheme(): 'light' | 'dark' {
  const t = theme();
  if (t !== 'system') return t;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function applyTheme(): void {
  document.documentElement.dataset.theme = effectiveTheme();
}

export function zone(): Zone {
  return localStorage.getItem('mw.zone') === 'local' ? 'local' : 'utc';
}

export function setZone(z: Zone): void {
  localStorage.setItem('mw.zone', z);
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** "2026-12-07 03:04:05 UTC" or the same in the browser's zone with its offset. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  if (zone() === 'utc') {
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
  }
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
}

/** A <time> element for a timestamp. */
export function timeEl(ms: number | null | undefined): HTMLElement {
  const el = document.createElement('time');
  if (ms !== null && ms !== undefined && Number.isFinite(ms)) el.dateTime = new Date(ms).toISOString();
  el.textContent = formatTime(ms);
  return el;
}
