/** Bench cases of the later stages (rules, telescope); kept apart so run.ts stays generic. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DETECTOR_IDS } from '../src/pipeline/components.js';
import { generateContentRules } from './lib/rules-matcher.js';

export interface CaseContext {
  mixed: string;
  small: string;
  darknet: string;
  mw: (...a: string[]) => string[];
  packets: (p: string) => () => number;
  have: (tool: string) => boolean;
  quick: boolean;
  withTshark: boolean;
  benchDir: string;
  /** A SQLite store holding one built campaign "bench" (bench/lib/campaign-seed.ts) and its host count. */
  campaignDb: string;
  campaignHosts: number;
}

export interface BenchCase {
  group: string;
  name: string;
  input: string;
  cmd: string[];
  /** packets in the input (for packets/s of tools that do not report it) */
  packets: () => number;
  timeoutS?: number;
  /** Runs only when its group is named in --only (not in a plain `npm run bench`). */
  optIn?: boolean;
  /** Name of the case this one's time is divided by, when both ran ("× ref" column). */
  ref?: string;
}

const NO_RULES = 'minewatch analyze (no rules, all detectors), mixed, 1 thread';

const SHARED_RULES = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'lists', 'et-open-coinmining-rules-all-categories.rules');

/** The shared ET coin-mining rules plus generated content rules, n in total. */
function rulesFile(dir: string, n: number): string {
  const path = join(dir, `rules-${n}.rules`);
  if (!existsSync(path)) {
    const shared = existsSync(SHARED_RULES) ? readFileSync(SHARED_RULES, 'utf8').split('\n').filter((l) => l.startsWith('alert ')) : [];
    writeFileSync(path, [...shared, ...generateContentRules(Math.max(0, n - shared.length), 1)].join('\n') + '\n');
  }
  return path;
}

/**
 * What each part of detection costs (opt-in, `--only cost`): the spine, then each parser
 * alone and each detector alone (on top of every parser) with one thread on the mixed
 * capture, each divided by the spine's time, so the parts can be weighed against the
 * detection budget (all detectors within 25 % of the spine).
 */
function costCases(c: CaseContext): BenchCase[] {
  const spine = 'cost: spine (--no-detect)';
  const row = (label: string, ...flags: string[]): BenchCase => ({
    group: 'cost', name: `cost: ${label}`, input: c.mixed, cmd: c.mw('analyze', c.mixed, '-w', '1', '-q', ...flags), packets: c.packets(c.mixed), optIn: true, ref: spine,
  });
  return [
    { ...row('spine (--no-detect)', '--no-detect'), ref: undefined },
    row('detection on, no parser, no detector', '--detectors', 'none', '--parsers', 'none'),
    row('all parsers, no detector', '--detectors', 'none'),
    // the parsers that see traffic on this capture one by one, the rest together
    ...['dns', 'tls', 'http', 'stratum', 'mdns,dhcp,ssdp,netbios,telnet,ftp,redis'].map((p) => row(`parser ${p} alone`, '--detectors', 'none', '--parsers', p)),
    row('every detector, no parser (packets only)', '--parsers', 'none'),
    ...DETECTOR_IDS.map((d) => row(`every parser + detector ${d}`, '--detectors', d)),
    row('every parser and detector (the default)'),
  ];
}

export function extraCases(c: CaseContext): BenchCase[] {
  const cases: BenchCase[] = costCases(c);
  // One thread: on this capture of few, big flows one thread is the faster configuration.
  for (const n of [1000, 10000]) {
    const rules = rulesFile(c.benchDir, n);
    cases.push({ group: 'rules', name: `minewatch analyze --rules (${n.toLocaleString('en-US')} rules), mixed, 1 thread`, input: c.mixed, cmd: c.mw('analyze', c.mixed, '--rules', rules, '-w', '1', '-q'), packets: c.packets(c.mixed), ref: NO_RULES });
  }
  cases.push({ group: 'rules', name: NO_RULES, input: c.mixed, cmd: c.mw('analyze', c.mixed, '-w', '1', '-q'), packets: c.packets(c.mixed) });
  for (const w of ['1', '2']) {
    cases.push({ group: 'telescope', name: `minewatch telescope, darknet, ${w === '1' ? '1 thread' : '2 workers'}`, input: c.darknet, cmd: c.mw('telescope', c.darknet, '--darknet', '198.18.0.0/16,2001:db8:ffff::/48', '--json', '/dev/null', '-q', '-w', w), packets: c.packets(c.darknet) });
  }
  // the campaign progress report over a million infected hosts, end to end (CLI start, store read, statistics, JSON out); "packets/s" = hosts/s
  cases.push({
    group: 'campaign', name: `minewatch campaign report, ${c.campaignHosts.toLocaleString('en-US')} infected hosts (SQLite)`, input: c.campaignDb,
    cmd: c.mw('campaign', '--db', `sqlite:${c.campaignDb}`, 'report', 'bench', '--format', 'json', '-o', '/dev/null'), packets: () => c.campaignHosts,
  });
  if (c.withTshark && c.have('tshark')) {
    cases.push({ group: 'telescope', name: 'tshark -q -z endpoints,ip (reference, 1 run)', input: c.darknet, cmd: ['tshark', '-q', '-z', 'endpoints,ip', '-r', c.darknet], packets: c.packets(c.darknet), timeoutS: 900 });
  }
  return cases;
}
