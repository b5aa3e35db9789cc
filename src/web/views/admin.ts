/** Administration (read lists): users, organisations, sensor tokens, the audit log. */
import { api, ApiError, type Me } from '../api.js';
import { errorBox, h, table } from '../dom.js';
import { timeEl } from '../prefs.js';

interface User { name: string; role: string; orgName: string | null; mustChangePassword: boolean; locked: boolean; createdMs: number }
interface Org { id: number; name: string; constituency: { countries?: string[]; asns?: number[]; prefixes?: string[]; sensorNames?: string[] } }
interface Token { id: number; prefix: string; org: string; sensor: string; createdMs: number; revokedMs: number | null; lastUsedMs: number | null }
interface Audit { id: number; ts: number; actor: string; action: string; subject: string; ip: string | null }

async function part<T>(path: string, render: (items: T[]) => HTMLElement): Promise<HTMLElement> {
  try {
    return render((await api<{ items: T[] }>('GET', path)).items);
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) return h('p', { class: 'empty' }, err.message);
    return errorBox(err);
  }
}

export async function adminView(me: Me): Promise<HTMLElement> {
  if (me.role !== 'admin') return h('div', { class: 'view' }, h('h1', {}, 'Admin'), h('p', {}, 'Administration needs the admin role.'));
  const [users, orgs, tokens, audit] = await Promise.all([
    part<User>('/api/v1/users', (xs) => table('Users', ['Name', 'Role', 'Organisation', 'Created', 'Note'], xs, (u) => [
      u.name, u.role, u.orgName ?? '(whole collector)', timeEl(u.createdMs), u.mustChangePassword ? 'must change password' : u.locked ? 'locked' : ''])),
    part<Org>('/api/v1/orgs', (xs) => table('Organisations', ['Name', 'Countries', 'AS numbers', 'Prefixes', 'Sensors'], xs, (o) => [
      o.name, (o.constituency.countries ?? []).join(', ') || '—', (o.constituency.asns ?? []).join(', ') || '—',
      (o.constituency.prefixes ?? []).join(', ') || '—', (o.constituency.sensorNames ?? []).join(', ') || '—'])),
    part<Token>('/api/v1/tokens', (xs) => table('Sensor tokens', ['Prefix', 'Sensor', 'Organisation', 'Created', 'Last used', 'State'], xs, (t) => [
      h('code', {}, `${t.prefix}…`), t.sensor, t.org, timeEl(t.createdMs), timeEl(t.lastUsedMs), t.revokedMs ? 'revoked' : 'active'])),
    part<Audit>('/api/v1/audit?limit=100', (xs) => table('Audit log (latest 100)', ['Time', 'Actor', 'Action', 'Subject', 'Address'], xs, (a) => [
      timeEl(a.ts), a.actor, a.action, a.subject, a.ip ?? '—'])),
  ]);
  return h('div', { class: 'view' }, h('h1', {}, 'Admin'),
    h('section', { class: 'card' }, h('h2', {}, 'Users'), users),
    h('section', { class: 'card' }, h('h2', {}, 'Organisations'), orgs),
    h('section', { class: 'card' }, h('h2', {}, 'Sensor tokens'), tokens),
    h('section', { class: 'card' }, h('h2', {}, 'Audit log'), audit));
}
