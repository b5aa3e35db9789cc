/**
 * Rule address groups compiled once (rules/address-groups.ts): the same answers as the
 * item-by-item semantics they replace (a reference evaluator written here), shared instances
 * for equal groups, and the hostile shape of IP-reputation rule sets (issue 16 item 8:
 * 588 rules × 3,000 CIDRs) within 3× the per-byte time of the same traffic without them and
 * under 512 MB.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { addressMatches, parseAddressGroup, RuleVariables } from '../../src/rules/variables.js';
import { AddressGroupCompiler } from '../../src/rules/address-groups.js';
import { parseRules } from '../../src/rules/parser.js';
import { RuleDetector } from '../../src/rules/detector.js';
import { cidrContains, formatIpv4, formatIpv6, parseCidr, type Cidr } from '../../src/util/ip.js';
import { CollectingContext, packetOf } from './rule-inputs.js';

// --- the semantics being replaced, evaluated item by item -----------------------------------

/** Split on top-level commas (written again here so the reference shares no code). */
function items(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of body) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === ',' && depth === 0) { out.push(cur.trim()); cur = ''; } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/**
 * The group semantics as they were before compilation: `any` matches everything; `!x` is not
 * x; a list matches when some positive item matches (or there is none) and no negated item
 * does; a CIDR matches addresses of its family (IPv4-mapped IPv6 text as its IPv4 address).
 */
const parsed = new Map<string, Cidr>();
function reference(spec: string, vars: Record<string, string>, ip: string): boolean {
  spec = spec.trim();
  if (spec === 'any') return true;
  if (spec.startsWith('!')) return !reference(spec.slice(1), vars, ip);
  if (spec.startsWith('$')) return reference(vars[spec.slice(1)], vars, ip);
  if (spec.startsWith('[')) {
    const list = items(spec.slice(1, -1));
    const pos = list.filter((i) => !i.startsWith('!'));
    const neg = list.filter((i) => i.startsWith('!')).map((i) => i.slice(1));
    if (pos.length > 0 && !pos.some((p) => reference(p, vars, ip))) return false;
    return !neg.some((n) => reference(n, vars, ip));
  }
  let c = parsed.get(spec);
  if (c === undefined) { c = parseCidr(spec)!; parsed.set(spec, c); }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return cidrContains(c, mapped ? mapped[1] : ip);
}

/** Addresses near a few anchors, so that random CIDRs and probes meet often. */
const ANCHORS4 = [0x0a000000, 0xc0a80100, 0x08080800, 0x33440000];
const addr4 = fc.tuple(fc.constantFrom(...ANCHORS4), fc.integer({ min: 0, max: 0xffff })).map(([a, o]) => (a + o) >>> 0);
const addr6 = fc.tuple(fc.constantFrom(0x2001_0db8, 0xfd00_0000), fc.integer({ min: 0, max: 0xffff }))
  .map(([hi, lo]) => formatIpv6(Uint8Array.of(hi >>> 24, (hi >>> 16) & 255, (hi >>> 8) & 255, hi & 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, lo >>> 8, lo & 255)));
const cidr = fc.oneof(
  fc.tuple(addr4, fc.integer({ min: 8, max: 32 })).map(([a, p]) => `${formatIpv4(a)}/${p}`),
  addr4.map((a) => formatIpv4(a)),
  fc.tuple(addr6, fc.integer({ min: 96, max: 128 })).map(([a, p]) => `${a}/${p}`),
);
const VARS = { HOME_NET: '[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]', EXTERNAL_NET: '!$HOME_NET', V6: '[2001:db8::/112,!2001:db8::ff]' };
const group: fc.Arbitrary<string> = fc.letrec<{ g: string }>((tie) => ({
  g: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    cidr,
    fc.constantFrom('any', '$HOME_NET', '$EXTERNAL_NET', '$V6'),
    tie('g').map((g) => `!${g}`),
    fc.array(fc.tuple(fc.boolean(), tie('g')), { minLength: 1, maxLength: 5 }).map((xs) => `[${xs.map(([neg, g]) => (neg ? `!${g}` : g)).join(',')}]`),
  ),
})).g;
const probe = fc.oneof(addr4.map((a) => formatIpv4(a)), addr6, addr4.map((a) => `::ffff:${formatIpv4(a)}`), fc.constant(''));

void test('property: compiled address groups answer exactly as the item-by-item semantics', () => {
  const vars = new RuleVariables({ address: VARS });
  fc.assert(
    fc.property(group, fc.array(probe, { minLength: 1, maxLength: 20 }), (spec, ips) => {
      const g = parseAddressGroup(spec, vars);
      if (typeof g === 'string') return; // nesting deeper than the limit: refused, not misread
      const merged = { ...vars.address };
      for (const ip of ips) assert.equal(addressMatches(g, ip), reference(spec, merged, ip), `${spec} ∋ ${ip}`);
    }),
    { numRuns: 3000 },
  );
});

void test('equal groups share one compiled instance; bad groups are refused with the item named', () => {
  const c = new AddressGroupCompiler({ HOME_NET: '[192.168.0.0/16,10.0.0.0/8]', EXTERNAL_NET: '!$HOME_NET' });
  const a = c.parse('[10.0.0.0/8,192.168.0.0/16]');
  assert.equal(c.parse('[10.0.0.0/9,10.128.0.0/9,192.168.0.0/17,192.168.128.0/17]'), a, 'same set, other text');
  assert.equal(c.parse('$HOME_NET'), a);
  assert.equal(c.parse('!$EXTERNAL_NET'), a, 'double negation');
  assert.notEqual(c.parse('$EXTERNAL_NET'), a);
  assert.deepEqual(c.parse('[any,10.0.0.0/8]'), { kind: 'any' });
  const none = c.parse('[any,!any]');
  assert.ok(typeof none !== 'string' && !addressMatches(none, '1.2.3.4') && !addressMatches(none, '::1') && !addressMatches(none, ''));
  const notV4 = c.parse('!0.0.0.0/0');
  assert.ok(typeof notV4 !== 'string' && addressMatches(notV4, '::1') && addressMatches(notV4, '') && !addressMatches(notV4, '8.8.8.8'));
  assert.equal(c.parse('[10.0.0.0/8,10.0.0.0/99]'), 'bad address 10.0.0.0/99 (bad-prefix)');
  assert.equal(c.parse('[10.0.0.0/8,notacidr]'), 'bad address notacidr (bad-address)');
  assert.equal(c.parse('$NOPE'), 'undefined address variable $NOPE');
  // Across rules: one instance per distinct group, whatever the number of rules.
  const vars = new RuleVariables();
  const text = Array.from({ length: 200 }, (_, i) => `alert ip $EXTERNAL_NET any -> [10.0.0.0/8,192.168.${i % 2}.0/24] any (msg:"r${i}"; sid:${1000 + i};)`).join('\n');
  const { rules } = parseRules(text, vars);
  assert.equal(rules.length, 200);
  assert.equal(new Set(rules.map((r) => r.src)).size, 1);
  assert.equal(new Set(rules.map((r) => r.dst)).size, 2);
});

// --- alerts on a smaller case ----------------------------------------------------------------

void test('the rule detector raises exactly the alerts the item-by-item semantics predict', () => {
  let seed = 11;
  const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return Math.floor((seed / 2 ** 32) * n); };
  const hosts = Array.from({ length: 64 }, (_, i) => (0x33440000 + i * 97) >>> 0);
  const ruleSpecs: { sid: number; src: string; dst: string; bidir: boolean }[] = [];
  for (let r = 0; r < 40; r++) {
    const list = Array.from({ length: 60 }, () => {
      const h = hosts[rnd(hosts.length)];
      const p = [32, 30, 28][rnd(3)];
      return `${rnd(5) === 0 ? '!' : ''}${formatIpv4(h)}/${p}`;
    });
    if (list.every((x) => x.startsWith('!'))) list[0] = list[0].slice(1);
    const src = `[${list.join(',')}]`;
    const dst = ['any', '$HOME_NET', '!$HOME_NET', '[192.168.1.0/24,!192.168.1.7]'][rnd(4)];
    ruleSpecs.push({ sid: 7000 + r, src, dst, bidir: rnd(3) === 0 });
  }
  const text = ruleSpecs.map((s) => `alert ip ${s.src} any ${s.bidir ? '<>' : '->'} ${s.dst} any (msg:"rep ${s.sid}"; sid:${s.sid};)`).join('\n');
  const vars = new RuleVariables();
  const { rules, skipped } = parseRules(text, vars);
  assert.equal(skipped.length, 0);
  assert.equal(rules.length, ruleSpecs.length);
  const det = new RuleDetector(rules);
  const ctx = new CollectingContext();
  const expected: string[] = [];
  const locals = [0xc0a80105, 0xc0a80107, 0x0a000001, 0x08080808];
  for (let i = 0; i < 3000; i++) {
    const a = rnd(2) === 0 ? hosts[rnd(hosts.length)] + rnd(4) : locals[rnd(locals.length)];
    const b = rnd(2) === 0 ? hosts[rnd(hosts.length)] + rnd(4) : locals[rnd(locals.length)];
    const pkt = packetOf(Uint8Array.of(1, 2, 3), 1e15 + i);
    pkt.src4 = a >>> 0;
    pkt.dst4 = b >>> 0;
    pkt.proto = 17;
    det.onPacket(pkt, null, ctx);
    const s = formatIpv4(a >>> 0);
    const d = formatIpv4(b >>> 0);
    const env = { ...vars.address };
    for (const r of ruleSpecs) {
      const fwd = reference(r.src, env, s) && reference(r.dst, env, d);
      const rev = r.bidir && reference(r.src, env, d) && reference(r.dst, env, s);
      if (fwd || rev) expected.push(`${i} ${r.sid}`);
    }
  }
  const got = ctx.alerts.map((a) => `${(a.tsUs ?? 0) - 1e15} ${a.signatureId}`);
  assert.ok(expected.length > 100, `the case must alert (${expected.length})`);
  assert.deepEqual(got.sort(), expected.sort());
});

// --- the hostile shape -----------------------------------------------------------------------

const ROOT = resolve(import.meta.dirname, '..', '..');

/**
 * The analyze pipeline (decode, flows, parsers, every detector, and the rules if given) on a
 * capture in a child process (its own heap and peak RSS): seconds to set it up (rule loading)
 * and seconds to run the traffic through it, timed apart, and the child's peak RSS in MB.
 */
function runPipeline(capture: string, rules: string | null): { setup: number; traffic: number; trafficCpu: number; rssMb: number; alerts: number } {
  const mod = (p: string): string => JSON.stringify(join(ROOT, 'src', ...p.split('/')));
  const script = `
    import { PacketPipeline } from ${mod('pipeline/packet-pipeline.js')};
    import { analyzerFactory } from ${mod('pipeline/analyzers.js')};
    import { openCapture } from ${mod('capture/open.js')};
    let alerts = 0;
    const t0 = process.hrtime.bigint();
    const pipeline = new PacketPipeline({ flowEvents: false, sink: (_ts, e) => { if (e.event_type === 'alert') alerts++; },
      analyzers: await analyzerFactory({ detect: true, ${rules ? `rules: [${JSON.stringify(rules)}]` : ''} }) });
    const source = await openCapture([${JSON.stringify(capture)}]);
    const t1 = process.hrtime.bigint();
    const c1 = process.cpuUsage();
    for await (const batch of source.batches()) pipeline.processBatch(batch);
    pipeline.finish();
    const c2 = process.cpuUsage(c1);
    const t2 = process.hrtime.bigint();
    await source.close();
    console.log(JSON.stringify({ setup: Number(t1 - t0) / 1e9, traffic: Number(t2 - t1) / 1e9, trafficCpu: (c2.user + c2.system) / 1e6, rssMb: process.resourceUsage().maxRSS / 1024, alerts }));`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 600_000, maxBuffer: 1 << 20 });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout.trim().split('\n').pop()!) as { setup: number; traffic: number; trafficCpu: number; rssMb: number; alerts: number };
}

void test('588 rules × 3,000 CIDRs: within 3× the per-byte time of the same traffic without them, under 512 MB', { timeout: 900_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-addrgroups-'));
  try {
    // IP-reputation shape (ET CIARMY/DShield): one list of 3,000 CIDRs per rule, no content;
    // addresses mostly, some /24 and /28 networks.
    const { FrameBuilder, Path, Rng } = await import('../../src/synth/index.js');
    const { PcapEmitter } = await import('../../src/synth/emitter.js');
    const { publicIp4 } = await import('../../src/synth/net.js');
    const rng = new Rng(5);
    const listed: number[] = [];
    const lines: string[] = [];
    for (let r = 0; r < 588; r++) {
      const list: string[] = [];
      while (list.length < 3000) {
        const a = publicIp4(rng);
        const u = rng.float();
        list.push(`${formatIpv4(a)}/${u < 0.75 ? 32 : u < 0.9 ? 24 : 28}`);
        if (list.length % 500 === 0) listed.push(a);
      }
      lines.push(`alert ip [${list.join(',')}] any -> $HOME_NET any (msg:"reputation group ${r}"; classtype:misc-attack; sid:${9_000_000 + r}; rev:1;)`);
    }
    // Inbound traffic from many public sources to home devices, every packet with a payload
    // (IP-only rules look at payload packets): 4,000 sources × 10 UDP datagrams, interleaved;
    // one source in 20 is on some list.
    const traffic = join(dir, 'traffic.pcap');
    {
      const fb = new FrameBuilder();
      const sink = new PcapEmitter(traffic);
      const path = new Path(Uint8Array.of(0x00, 0x1c, 0x73, 1, 2, 3), Uint8Array.of(0x3c, 0xfd, 0xfe, 4, 5, 6), 0, 0);
      const sources = Array.from({ length: 4000 }, (_, i) => ({
        ip: i % 20 === 0 ? listed[rng.int(listed.length)] : publicIp4(rng), dst: (0xc0a80100 + 2 + rng.int(50)) >>> 0, sport: 1024 + rng.int(60000), dport: 20000 + rng.int(40000),
      }));
      const payload = new Uint8Array(96).map((_, i) => (i * 7 + 3) & 255);
      for (let i = 0; i < 40_000; i++) {
        const src = sources[rng.int(sources.length)];
        path.src4 = src.ip;
        path.dst4 = src.dst;
        path.ipId = rng.int(65536);
        sink.emit(1.7e15 + i * 200, fb.udp(path, src.sport, src.dport, payload, 0, payload.length));
      }
      sink.close();
    }
    const rules = join(dir, 'reputation.rules');
    writeFileSync(rules, `${lines.join('\n')}\n`);
    // Interleaved runs, the fastest of 3 of each, in CPU seconds of the traffic loop: on a
    // shared machine the wall time of one run is partly other processes' time.
    const t = { base: [] as number[], hostile: [] as number[] };
    let peak = 0;
    let setup = Infinity;
    const alerts = { base: 0, hostile: 0 };
    for (let k = 0; k < 3; k++) {
      for (const kind of ['base', 'hostile'] as const) {
        const r = runPipeline(traffic, kind === 'hostile' ? rules : null);
        t[kind].push(r.trafficCpu);
        alerts[kind] = r.alerts;
        if (kind === 'hostile') { peak = Math.max(peak, r.rssMb); setup = Math.min(setup, r.setup); }
      }
    }
    const ratio = Math.min(...t.hostile) / Math.min(...t.base);
    console.error(`address groups: traffic (${(statSync(traffic).size / 1e6).toFixed(1)} MB) with the 588 × 3,000-CIDR rules takes ${ratio.toFixed(2)}× `
      + `its CPU time without them (${Math.min(...t.hostile).toFixed(3)} s vs ${Math.min(...t.base).toFixed(3)} s); loading the rules ${setup.toFixed(2)} s; `
      + `peak RSS ${peak.toFixed(0)} MB; alerts ${alerts.base} → ${alerts.hostile}; runs ${JSON.stringify(t)}`);
    assert.ok(alerts.hostile > alerts.base, 'the reputation rules fire on the traffic');
    assert.ok(ratio <= 3, `per-byte time ${ratio.toFixed(2)}× without the rules (limit 3×)`);
    assert.ok(peak < 512, `peak RSS ${peak.toFixed(0)} MB (limit 512 MB)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
