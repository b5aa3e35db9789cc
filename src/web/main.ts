/**
 * The dashboard shell: sign-in, the navigation, the theme and time-zone toggles, and a
 * hash router (#/overview, #/inbox?…, #/devices, #/devices/ID, #/telescope?…, #/scans?…, #/campaigns?id=…, #/admin) whose views are
 * plain async functions returning DOM nodes.
 */
import { logout, me as fetchMe, setSignedOutHandler, type Me } from './api.js';
import { disposeCharts } from './chart-live.js';
import { errorBox, h } from './dom.js';
import { applyTheme, setTheme, setZone, theme, zone, type Theme } from './prefs.js';
import { adminView } from './views/admin.js';
import { devicesView, deviceView } from './views/devices.js';
import { inboxView } from './views/inbox.js';
import { loginView } from './views/login.js';

const root = document.getElementById('app')!;
let user: Me | null = null;
let renderId = 0;

const NAV: Array<[string, string]> = [['#/overview', 'Overview'], ['#/inbox', 'Incidents and alerts'], ['#/devices', 'Devices'], ['#/telescope', 'Telescope'], ['#/scans', 'Scans'], ['#/campaigns', 'Campaigns'], ['#/admin', 'Admin']];

function go(hash: string): void {
  if (location.hash === hash) void render();
  else location.hash = hash;
}

function header(current: string): HTMLElement {
  const themeSel = h('select', { id: 'theme', onchange: (e: Event) => { setTheme((e.target as HTMLSelectElement).value as Theme); void render(); } },
    (['system', 'light', 'dark'] as const).map((t) => h('option', { value: t, selected: theme() === t }, t === 'system' ? 'Theme: system' : `Theme: ${t}`)));
  const zoneBtn = h('button', { type: 'button', id: 'zone', 'aria-pressed': zone() === 'local' ? 'true' : 'false',
    onclick: () => { setZone(zone() === 'utc' ? 'local' : 'utc'); void render(); } }, zone() === 'utc' ? 'Times: UTC' : 'Times: local');
  return h('header', { class: 'top' },
    h('a', { class: 'brand', href: '#/overview' }, 'minewatch'),
    h('nav', { 'aria-label': 'Main' }, h('ul', {}, NAV.map(([href, label]) =>
      h('li', {}, h('a', { href, 'aria-current': current === href ? 'page' : null }, label))))),
    h('div', { class: 'prefs' },
      h('label', { for: 'theme', class: 'visually-hidden' }, 'Theme'), themeSel, zoneBtn,
      h('span', { class: 'who' }, `${user?.name ?? ''} (${user?.role ?? ''})`),
      h('button', { type: 'button', id: 'logout', onclick: () => { void logout().finally(() => { user = null; void render(); }); } }, 'Sign out')));
}

async function render(): Promise<void> {
  const id = ++renderId;
  disposeCharts();
  applyTheme();
  if (!user || user.must_change_password) {
    syncStream();
    root.replaceChildren(loginView((m) => { user = m; go('#/overview'); }, user ?? undefined));
    document.title = 'Sign in · minewatch';
    root.querySelector('input')?.focus();
    return;
  }
  const [path, qs] = (location.hash.slice(1) || '/overview').split('?');
  const params = new URLSearchParams(qs ?? '');
  const section = `#/${path.split('/')[1] ?? 'overview'}`;
  const main = h('main', { id: 'main', tabindex: '-1', 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Loading…'));
  root.replaceChildren(header(section), main);
  let view: HTMLElement;
  try {
    const dev = /^\/devices\/(\d+)$/.exec(path);
    view = dev ? await deviceView(Number(dev[1]))
      : section === '#/inbox' ? await inboxView(params, user, go)
        : section === '#/devices' ? await devicesView(params, go)
          // loaded on first use: echarts and the chart kinds stay out of the entry bundle, so
          // the inbox's first page (and the other table views) never load or parse them
          : section === '#/telescope' ? await (await import('./views/telescope.js')).telescopeView(params, go)
            : section === '#/scans' ? await (await import('./views/scans.js')).scansView(params, go)
              : section === '#/campaigns' ? await (await import('./views/campaigns.js')).campaignsView(params, go)
              : section === '#/admin' ? await adminView(user)
            : await (await import('./views/overview.js')).overviewView(params, go);
  } catch (err) {
    view = h('div', { class: 'view' }, errorBox(err));
  }
  if (id !== renderId) return; // a newer navigation won
  lastRender = Date.now();
  syncStream();
  main.replaceChildren(view);
  main.setAttribute('aria-busy', 'false');
  document.title = `${NAV.find(([href]) => href === section)?.[1] ?? 'Overview'} · minewatch`;
  root.dataset.view = path;
}

// live updates: new incidents arrive as server-sent events; the overview and the inbox redraw with them
let stream: EventSource | null = null;
let redraw: number | null = null;
let lastRender = 0;
const announcer = h('div', { id: 'live', role: 'status', 'aria-live': 'polite', class: 'visually-hidden' });
document.body.appendChild(announcer);

function syncStream(): void {
  const want = user !== null && !user.must_change_password;
  if (!want) {
    stream?.close();
    stream = null;
    return;
  }
  if (stream) return;
  stream = new EventSource('/api/v1/stream');
  stream.addEventListener('incident', (e) => {
    const inc = JSON.parse((e as MessageEvent<string>).data) as { id: number; signature: string | null };
    announcer.textContent = `New incident: ${inc.signature ?? `#${inc.id}`}`;
    const section = (location.hash.slice(1) || '/overview').split('?')[0];
    if (!/^\/(overview|inbox)$/.test(section)) return;
    // a burst (a sensor's backlog arriving) gives one redraw, at most every 3 s, never over a view still loading
    if (redraw !== null) return;
    redraw = window.setTimeout(function later() {
      if (document.querySelector('main[aria-busy="true"]')) {
        redraw = window.setTimeout(later, 500);
        return;
      }
      redraw = null;
      void render();
    }, Math.max(500, 3000 - (Date.now() - lastRender)));
  });
}

setSignedOutHandler(() => {
  if (user) {
    user = null;
    void render();
  }
});
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => void render());
addEventListener('hashchange', () => void render());
applyTheme();
// the overview (the default view) is a chunk of its own: opened there, it loads beside the
// sign-in check instead of after it (render's import then finds it loaded)
if ((location.hash.slice(1) || '/overview').split('?')[0] === '/overview') import('./views/overview.js').catch(() => {});
fetchMe().then((m) => { user = m; }).catch(() => { user = null; }).finally(() => void render());
