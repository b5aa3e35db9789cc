/** Bench cases of the later stages (rules, telescope); kept apart so run.ts stays generic. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateContentRules } from '../src/rules/index.js';

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
}

export interface BenchCase {
  group: string;
  name: string;
  input: string;
  cmd: string[];
  packets: () => number;
  timeoutS?: number;
}

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

export function extraCases(c: CaseContext): BenchCase[] {
  const cases: BenchCase[] = [];
  // One thread: on this capture of few, big flows one thread is the faster configuration.
  for (const n of [1000, 10000]) {
    const rules = rulesFile(c.benchDir, n);
    cases.push({ group: 'rules', name: `minewatch analyze --rules (${n.toLocaleString('en-US')} rules), mixed, 1 thread`, input: c.mixed, cmd: c.mw('analyze', c.mixed, '--rules', rules, '-w', '1', '-q'), packets: c.packets(c.mixed) });
  }
  cases.push({ group: 'rules', name: 'minewatch analyze (no rules, all detectors), mixed, 1 thread', input: c.mixed, cmd: c.mw('analyze', c.mixed, '-w', '1', '-q'), packets: c.packets(c.mixed) });
  for (const w of ['1', '2']) {
    cases.push({ group: 'telescope', name: `minewatch telescope, darknet, ${w === '1' ? '1 thread' : '2 workers'}`, input: c.darknet, cmd: c.mw('telescope', c.darknet, '--darknet', '198.18.0.0/16,2001:db8:ffff::/48', '--json', '/dev/null', '-q', '-w', w), packets: c.packets(c.darknet) });
  }
  if (c.withTshark && c.have('tshark')) {
    cases.push({ group: 'telescope', name: 'tshark -q -z endpoints,ip (reference, 1 run)', input: c.darknet, cmd: ['tshark', '-q', '-z', 'endpoints,ip', '-r', c.darknet], packets: c.packets(c.darknet), timeoutS: 900 });
  }
  return cases;
}
