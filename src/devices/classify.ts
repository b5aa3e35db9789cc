/**
 * The rule-based device classifier. A rule file (data/devices/rules.json, or the user's own
 * through --device-rules) lists rules; each rule names evidence that must all match (vendor,
 * host name, DHCP option 55 / 60, mDNS service, SSDP string, user agent, TTL, role …), a
 * device type and a weight. A device's score for a type is the sum of the weights of its
 * matching rules (0–100); the best type wins when its score reaches the threshold, else the
 * device is `unknown` (the best guess and its reasons are kept).
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../util/errors.js';
import { validateDeviceRules, type DeviceRule, type DeviceRulesFile } from './rules-file.js';

import { DEVICE_TYPES } from './rules-file.js';
export { DEVICE_TYPES };
export type DeviceType = (typeof DEVICE_TYPES)[number];

export type { DeviceRule, DeviceRulesFile } from './rules-file.js';

interface CompiledRule {
  rule: DeviceRule;
  test: (e: Evidence) => boolean;
}

export interface DeviceRuleSet {
  threshold: number;
  rules: CompiledRule[];
}

/** The lists of evidence kept per MAC and per device. */
export interface EvidenceLists {
  hostnames: string[];
  /** DHCP option 55 lists, each as "1,3,6,…" in the order sent. */
  dhcpParams: string[];
  vendorClasses: string[];
  mdnsServices: string[];
  mdnsModels: string[];
  ssdp: string[];
  userAgents: string[];
  ja3: string[];
  ja4: string[];
}

/** The evidence a rule reads (a Device has all of it). */
export interface EvidenceInput extends EvidenceLists {
  vendor: string;
  ttl: number;
  roles: string[];
  randomized: boolean;
}

interface Evidence extends EvidenceInput {
  uaTypes: string[];
  uaOses: string[];
}

export interface Classification {
  type: DeviceType;
  /** 0–100: the winning type's score. */
  score: number;
  /** The best type even when below the threshold. */
  guess: DeviceType;
  /** The matching rules' reasons for the winning type. */
  reasons: string[];
}

export const DEFAULT_THRESHOLD = 40;

function anyMatch(re: RegExp, values: readonly string[]): boolean {
  return values.some((v) => re.test(v));
}

function compileRule(rule: DeviceRule): CompiledRule {
  const m = rule.match;
  const tests: ((e: Evidence) => boolean)[] = [];
  const re = (s: string) => new RegExp(s, 'i');
  if (m.vendor) { const r = re(m.vendor); tests.push((e) => r.test(e.vendor)); }
  if (m.hostname) { const r = re(m.hostname); tests.push((e) => anyMatch(r, e.hostnames)); }
  if (m.dhcpParams) { const s = m.dhcpParams.join(','); tests.push((e) => e.dhcpParams.includes(s)); }
  if (m.dhcpParamsPrefix) { const s = m.dhcpParamsPrefix.join(','); tests.push((e) => e.dhcpParams.some((p) => p === s || p.startsWith(`${s},`))); }
  if (m.vendorClass) { const r = re(m.vendorClass); tests.push((e) => anyMatch(r, e.vendorClasses)); }
  if (m.mdnsService) { const r = re(m.mdnsService); tests.push((e) => anyMatch(r, e.mdnsServices)); }
  if (m.mdnsModel) { const r = re(m.mdnsModel); tests.push((e) => anyMatch(r, e.mdnsModels)); }
  if (m.ssdp) { const r = re(m.ssdp); tests.push((e) => anyMatch(r, e.ssdp)); }
  if (m.userAgent) { const r = re(m.userAgent); tests.push((e) => anyMatch(r, e.userAgents)); }
  if (m.uaDeviceType) { const t = m.uaDeviceType.toLowerCase(); tests.push((e) => e.uaTypes.includes(t)); }
  if (m.uaOs) { const r = re(m.uaOs); tests.push((e) => anyMatch(r, e.uaOses)); }
  if (m.ttl !== undefined) { const t = m.ttl; tests.push((e) => e.ttl === t); }
  if (m.role) { const t = m.role; tests.push((e) => e.roles.includes(t)); }
  if (m.randomizedMac !== undefined) { const t = m.randomizedMac; tests.push((e) => e.randomized === t); }
  if (m.ja3) { const r = re(m.ja3); tests.push((e) => anyMatch(r, e.ja3)); }
  if (m.ja4) { const r = re(m.ja4); tests.push((e) => anyMatch(r, e.ja4)); }
  return { rule, test: (e) => tests.every((t) => t(e)) };
}

/** A parsed rules file (already validated) as a rule set. */
export function compileRules(files: readonly DeviceRulesFile[]): DeviceRuleSet {
  const threshold = files.reduce<number | undefined>((t, f) => f.threshold ?? t, undefined) ?? DEFAULT_THRESHOLD;
  return { threshold, rules: files.flatMap((f) => f.rules.map(compileRule)) };
}

/** Reads and checks a rules file; a mistake is a ConfigError naming the file and the field. */
export function readDeviceRules(file: string): DeviceRulesFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError('devices.rules', `device rules ${file}: ${(err as Error).message}`, { subject: file });
  }
  const problem = validateDeviceRules(raw);
  if (typeof problem === 'string') throw new ConfigError('devices.rules', `device rules ${file}: ${problem}`, { subject: file });
  return problem;
}

function findDataFile(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'data', 'devices', name);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new ConfigError('devices.rules', `data/devices/${name} (the shipped device rules) not found next to the program`);
}

let shipped: DeviceRulesFile | null = null;
/** The shipped rules file (data/devices/rules.json). */
export function shippedDeviceRules(): DeviceRulesFile {
  // trusted and checked against the schema by the tests: read without loading zod (≈15 MB) into every run
  return (shipped ??= JSON.parse(readFileSync(findDataFile('rules.json'), 'utf8')) as DeviceRulesFile);
}

/** The shipped rules plus the user's files (their threshold, when set, wins). */
export function loadDeviceRules(extra: readonly string[] = []): DeviceRuleSet {
  return compileRules([shippedDeviceRules(), ...extra.map(readDeviceRules)]);
}

// ---- user agents (ua-parser-js 1.x, MIT) ----------------------------------------------------

interface UaResult { os: { name?: string }; device: { type?: string; vendor?: string; model?: string } }
type UaParserFn = (ua: string) => UaResult;
let uaParser: UaParserFn | null = null;
const uaCache = new Map<string, UaResult>();

export function parseUserAgent(ua: string): UaResult {
  const hit = uaCache.get(ua);
  if (hit) return hit;
  if (!uaParser) {
    try {
      const require = createRequire(import.meta.url);
      const mod = require('ua-parser-js') as UaParserFn & { UAParser?: UaParserFn };
      uaParser = mod.UAParser ?? mod;
    } catch {
      uaParser = () => ({ os: {}, device: {} });
    }
  }
  const r = uaParser(ua);
  if (uaCache.size >= 1024) uaCache.clear();
  uaCache.set(ua, r);
  return r;
}

let defaultSet: DeviceRuleSet | null = null;

/** Scores a device's evidence against the rules (default: the shipped ones). */
export function classify(input: EvidenceInput, rules?: DeviceRuleSet): Classification {
  const set = rules ?? (defaultSet ??= loadDeviceRules());
  const uaTypes: string[] = [];
  const uaOses: string[] = [];
  for (const ua of input.userAgents) {
    const p = parseUserAgent(ua);
    uaTypes.push((p.device.type ?? 'none').toLowerCase());
    if (p.os.name) uaOses.push(p.os.name);
  }
  const e: Evidence = { ...input, uaTypes, uaOses };
  const scores = new Map<DeviceType, number>();
  const reasons = new Map<DeviceType, string[]>();
  for (const c of set.rules) {
    if (!c.test(e)) continue;
    scores.set(c.rule.type, (scores.get(c.rule.type) ?? 0) + c.rule.weight);
    const list = reasons.get(c.rule.type) ?? [];
    list.push(`${c.rule.reason} (${c.rule.weight > 0 ? '+' : ''}${c.rule.weight})`);
    reasons.set(c.rule.type, list);
  }
  let guess: DeviceType = 'unknown';
  let best = 0;
  for (const t of DEVICE_TYPES) {
    const s = Math.min(100, scores.get(t) ?? 0);
    if (s > best) { best = s; guess = t; }
  }
  return { type: best >= set.threshold ? guess : 'unknown', score: best, guess, reasons: reasons.get(guess) ?? [] };
}
