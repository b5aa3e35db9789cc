/**
 * Default-credential checks (only with --check-credentials): pairs from the shipped list
 * (data/scan/credentials.json: Mirai's public pairs and vendor defaults), tried in order,
 * one connection per attempt through the global rate limit, never more than the list or
 * the configured cap, stopping at the first success for each service.
 * SSH uses the `ssh2` package: it can stop right after authentication, so nothing is ever
 * executed on the device.
 */
import { Client } from 'ssh2';
import type { Conversation } from './conversation.js';
import type { CredentialPair, CredentialService } from './knowledge.js';
import { httpGet } from './probes/http.js';
import { mqttConnect } from './probes/mqtt.js';
import { RespError, redisCommand } from './probes/redis.js';
import { LOGIN_PROMPT, PASSWORD_PROMPT, TelnetSession } from './probes/telnet.js';
import type { Finding, HostResult, PortResult } from './types.js';
import { ADVICE } from './checks/check.js';

export type AttemptOutcome = 'success' | 'failure' | 'error';

export interface CredentialContext {
  host: string;
  timeoutMs: number;
  /** Opens a rate-limited connection to the port being checked. */
  open(port: number, opts?: { tls?: boolean }): Promise<Conversation | null>;
  /** Called before each attempt: the global rate limit. */
  beforeAttempt(): Promise<void>;
  /** Counts attempts (for the summary). */
  counted(): void;
  signal?: AbortSignal;
}

type Attempt = (ctx: CredentialContext, port: PortResult, pair: CredentialPair) => Promise<AttemptOutcome>;

async function attemptSsh(ctx: CredentialContext, port: PortResult, pair: CredentialPair): Promise<AttemptOutcome> {
  return new Promise((resolve) => {
    const client = new Client();
    let settled = false;
    const settle = (o: AttemptOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => settle('error'), ctx.timeoutMs * 4);
    client.on('ready', () => settle('success'));
    client.on('error', (err: Error & { level?: string }) => settle(err.level === 'client-authentication' ? 'failure' : 'error'));
    client.on('close', () => settle('error'));
    client.on('keyboard-interactive', (_name: string, _instr: string, _lang: string, prompts: unknown[], finish: (answers: string[]) => void) => {
      finish(prompts.map(() => pair.password));
    });
    client.connect({
      host: ctx.host,
      port: port.port,
      username: pair.username,
      password: pair.password,
      tryKeyboard: true,
      readyTimeout: ctx.timeoutMs * 4,
      hostVerifier: () => true,
    });
  });
}

const LOGIN_FAILED = /incorrect|failed|denied|invalid|bad password|error|try again/i;
const SHELL_PROMPT = /[#$>%]\s*$/;

async function attemptTelnet(ctx: CredentialContext, port: PortResult, pair: CredentialPair): Promise<AttemptOutcome> {
  const conv = await ctx.open(port.port);
  if (!conv) return 'error';
  try {
    const t = new TelnetSession(conv);
    const wait = Math.max(ctx.timeoutMs, 2000);
    const first = await t.readText(/(?:login|username|user name|user|password)\s*:\s*$/i, wait);
    let mark = t.text.length;
    if (LOGIN_PROMPT.test(first)) {
      t.sendLine(pair.username);
      const next = await t.readText(/password\s*:\s*$|[#$>%]\s*$/i, wait, mark);
      mark = t.text.length;
      if (SHELL_PROMPT.test(next) && !PASSWORD_PROMPT.test(next)) return 'success';
      if (!PASSWORD_PROMPT.test(next)) return 'error';
    } else if (!PASSWORD_PROMPT.test(first)) {
      return 'error';
    }
    t.sendLine(pair.password);
    // login(1) waits ~3 s before saying "Login incorrect"; a shell prompt means we are in.
    const after = await t.readText(/login\s*:\s*$|[#$>%]\s*$|incorrect|failed|denied|invalid/i, wait + 4000, mark);
    if (LOGIN_FAILED.test(after) || LOGIN_PROMPT.test(after)) return 'failure';
    if (SHELL_PROMPT.test(after.trimEnd())) return 'success';
    return conv.closed ? 'failure' : 'error';
  } finally {
    conv.close();
  }
}

async function attemptHttpBasic(ctx: CredentialContext, port: PortResult, pair: CredentialPair): Promise<AttemptOutcome> {
  const conv = await ctx.open(port.port, { tls: port.tls === true });
  if (!conv) return 'error';
  try {
    const token = Buffer.from(`${pair.username}:${pair.password}`, 'utf8').toString('base64');
    const resp = await httpGet(conv, ctx.host, '/', ctx.timeoutMs, `Authorization: Basic ${token}\r\n`);
    if (!resp) return 'error';
    if (resp.status === 401 || resp.status === 403) return 'failure';
    return resp.status < 400 ? 'success' : 'error';
  } finally {
    conv.close();
  }
}

async function attemptRedis(ctx: CredentialContext, port: PortResult, pair: CredentialPair): Promise<AttemptOutcome> {
  if (pair.password === '') return 'failure'; // "no password" is the redis-no-auth finding, not a credential
  const conv = await ctx.open(port.port);
  if (!conv) return 'error';
  try {
    const args = pair.username === 'default' ? ['AUTH', pair.password] : ['AUTH', pair.username, pair.password];
    const r = await redisCommand(conv, ctx.timeoutMs, ...args);
    if (r === 'OK') return 'success';
    return r instanceof RespError ? 'failure' : 'error';
  } finally {
    conv.close();
  }
}

async function attemptMqtt(ctx: CredentialContext, port: PortResult, pair: CredentialPair): Promise<AttemptOutcome> {
  const conv = await ctx.open(port.port, { tls: port.tls === true });
  if (!conv) return 'error';
  try {
    const rc = await mqttConnect(conv, ctx.timeoutMs, pair.username, pair.password);
    if (rc === 0) {
      conv.write(Buffer.from([0xe0, 0x00]));
      return 'success';
    }
    return rc === 4 || rc === 5 ? 'failure' : 'error';
  } finally {
    conv.close();
  }
}

/** Which credential service applies to an identified port, if any. */
export function credentialServiceFor(p: PortResult): CredentialService | null {
  if (p.state !== 'open') return null;
  switch (p.service) {
    case 'ssh':
      return 'ssh';
    case 'telnet':
      return 'telnet';
    case 'http':
    case 'https':
      return p.details?.basicAuth === true ? 'http-basic' : null;
    case 'redis':
      return p.details?.auth === 'required' ? 'redis' : null;
    case 'mqtt':
    case 'mqtts':
      return p.details?.anonymous === false ? 'mqtt' : null;
    default:
      return null;
  }
}

const ATTEMPTS: Record<CredentialService, Attempt> = {
  ssh: attemptSsh,
  telnet: attemptTelnet,
  'http-basic': attemptHttpBasic,
  redis: attemptRedis,
  mqtt: attemptMqtt,
};

export interface CredentialResult {
  port: number;
  service: CredentialService;
  attempts: number;
  found: CredentialPair | null;
  errors: number;
}

/** Mask a password for reports: enough to recognise it, not to reuse it from a shared file. */
export function maskPassword(p: string): string {
  if (p === '') return '(empty)';
  if (p.length <= 2) return '*'.repeat(p.length);
  return `${p[0]}${'*'.repeat(p.length - 2)}${p[p.length - 1]}`;
}

/** Stop after this many connection errors in a row: the service is refusing or rate-limiting us. */
const MAX_CONSECUTIVE_ERRORS = 3;

export async function checkPortCredentials(ctx: CredentialContext, port: PortResult, list: readonly CredentialPair[], maxAttempts: number): Promise<CredentialResult | null> {
  const service = credentialServiceFor(port);
  if (!service) return null;
  const pairs = list.filter((c) => c.services.includes(service)).slice(0, Math.max(0, maxAttempts));
  const attempt = ATTEMPTS[service];
  const result: CredentialResult = { port: port.port, service, attempts: 0, found: null, errors: 0 };
  let errorsInRow = 0;
  for (const pair of pairs) {
    if (ctx.signal?.aborted) break;
    await ctx.beforeAttempt();
    result.attempts++;
    ctx.counted();
    let outcome: AttemptOutcome;
    try {
      outcome = await attempt(ctx, port, pair);
    } catch {
      outcome = 'error';
    }
    if (outcome === 'success') {
      result.found = pair;
      break;
    }
    if (outcome === 'error') {
      result.errors++;
      if (++errorsInRow >= MAX_CONSECUTIVE_ERRORS) break;
    } else {
      errorsInRow = 0;
    }
  }
  return result;
}

const SERVICE_NAMES: Record<CredentialService, string> = { ssh: 'SSH', telnet: 'telnet', 'http-basic': 'the web admin page', redis: 'Redis', mqtt: 'the MQTT broker' };

export function credentialFinding(r: CredentialResult): Finding | null {
  if (!r.found) return null;
  const { username, password, source } = r.found;
  return {
    id: 'default-credentials',
    severity: 'critical',
    title: `Default or weak password accepted by ${SERVICE_NAMES[r.service]}`,
    port: r.port,
    evidence: `${r.service} on port ${r.port} accepted user "${username}" with password ${maskPassword(password)} from the default list (${source.split(':')[0]}), after ${r.attempts} attempt${r.attempts === 1 ? '' : 's'}`,
    remediation: `Log in now and change the password for "${username}" to a long unique one (or remove the account); this exact pair is tried by botnets within minutes of a device going online. ${r.service === 'telnet' ? 'Turn telnet off. ' : ''}${ADVICE.update} ${ADVICE.separate}`,
    details: { service: r.service, username, password: maskPassword(password), attempts: r.attempts, source },
  };
}

/** Run credential checks on every eligible port of a host, one port after another. */
export async function checkHostCredentials(ctx: CredentialContext, host: HostResult, list: readonly CredentialPair[], maxAttempts: number): Promise<{ findings: Finding[]; results: CredentialResult[] }> {
  const findings: Finding[] = [];
  const results: CredentialResult[] = [];
  for (const p of host.ports) {
    if (ctx.signal?.aborted) break;
    const r = await checkPortCredentials(ctx, p, list, maxAttempts);
    if (!r) continue;
    results.push(r);
    const f = credentialFinding(r);
    if (f) findings.push(f);
  }
  return { findings, results };
}
