/**
 * The one way the app talks to the collector: the documented API under /api/v1/ (docs/collector.md).
 * The session is the HttpOnly cookie set by login; writes carry the CSRF token from login
 * in X-CSRF-Token (kept in sessionStorage, so a reload keeps working in the same tab).
 */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export interface Me {
  name: string;
  role: 'admin' | 'analyst' | 'viewer';
  org: string | null;
  must_change_password: boolean;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
  total?: number | null;
}

const CSRF_KEY = 'mw.csrf';
/** Called when the session is gone (401): the app shows the login. */
export let onSignedOut: () => void = () => {};
export function setSignedOutHandler(f: () => void): void {
  onSignedOut = f;
}

export async function api<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = sessionStorage.getItem(CSRF_KEY) ?? '';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text };
  }
  if (!res.ok) {
    const d = (data ?? {}) as { code?: string; message?: string };
    if (res.status === 401 && !path.endsWith('/auth/login')) onSignedOut();
    throw new ApiError(res.status, d.code ?? `http.${res.status}`, d.message ?? `HTTP ${res.status}`);
  }
  return data as T;
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export async function login(name: string, password: string): Promise<Me> {
  const r = await api<{ user: Me; csrf: string }>('POST', '/api/v1/auth/login', { name, password });
  sessionStorage.setItem(CSRF_KEY, r.csrf);
  return r.user;
}

export async function me(): Promise<Me | null> {
  try {
    return (await api<{ user: Me }>('GET', '/api/v1/auth/me')).user;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

export async function logout(): Promise<void> {
  try {
    await api('POST', '/api/v1/auth/logout');
  } finally {
    sessionStorage.removeItem(CSRF_KEY);
  }
}
