/**
 * Every bad-input case of issue 14 (items 6-8), one per command and kind of mistake: the
 * arguments, the exit code and the one line the command must print. Shared by the test
 * (test/cli/errors.test.ts) and by the before/after table of the closing note.
 *
 * `$D` in an argument is the fixture directory (made by `makeFixtures`); `$D/nope/…` is a path
 * whose directory does not exist.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '../../src/synth/index.js';

export interface ErrorCase {
  /** Short description for the table. */
  name: string;
  args: string[];
  code: number;
  /** The one line on stderr (after "minewatch: "). */
  line: RegExp;
  /** Files or directories that must NOT exist afterwards (nothing written, nothing created). */
  absent?: string[];
}

export async function makeFixtures(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await generate('sample', { seed: 1 }, join(dir, 's.pcap'));
  writeFileSync(join(dir, 'not-a-capture.txt'), 'hello, this is not a pcap\n');
  writeFileSync(join(dir, 'not-json.json'), '{ "rules": [ oops ] }\n');
  writeFileSync(join(dir, 'suppress-schema.json'), JSON.stringify({ rules: [{ host: '10.0.0.1' }] }));
  writeFileSync(join(dir, 'lists-schema.json'), JSON.stringify({ lists: [{ path: 'x.txt', colour: 'red' }] }));
  writeFileSync(join(dir, 'creds-schema.json'), JSON.stringify({ credentials: [{ user: 'admin' }] }));
  writeFileSync(join(dir, 'watch-bad.txt'), 'Acme: 10.0.0.0/40\n');
  writeFileSync(join(dir, 'no-rules.rules'), '# alert tcp any any -> any any (msg:"y"; sid:2;)\npass tcp any any -> any any (msg:"x"; sid:1;)\n');
}

export const ERROR_CASES: ErrorCase[] = [
  // analyze
  { name: 'analyze: no input', args: ['analyze'], code: 2, line: /^give at least one capture file or directory, or --interface IF/ },
  { name: 'analyze: unknown option', args: ['analyze', '$D/s.pcap', '--jsn', 'x'], code: 2, line: /^unknown option '--jsn' \(Did you mean --json\?\); see minewatch analyze --help$/ },
  { name: 'analyze: missing capture', args: ['analyze', '$D/missing.pcap'], code: 2, line: /missing\.pcap/ },
  { name: 'analyze: not a capture', args: ['analyze', '$D/not-a-capture.txt'], code: 2, line: /not-a-capture\.txt: .*byte offset 0/ },
  { name: 'analyze: --home-net notacidr', args: ['analyze', '$D/s.pcap', '--home-net', 'notacidr'], code: 2, line: /^--home-net: "notacidr" is not an IP address or CIDR/ },
  { name: 'analyze: --home-net 10.0.0.0/99', args: ['analyze', '$D/s.pcap', '--home-net', '10.0.0.0/99'], code: 2, line: /^--home-net: "10\.0\.0\.0\/99" has no valid prefix length \(0-32\)/ },
  { name: 'analyze: --workers 0', args: ['analyze', '$D/s.pcap', '--workers', '0'], code: 2, line: /^--workers must be "auto" or a whole number from 1 to 64 \(got "0"\)/ },
  { name: 'analyze: --max-flows abc', args: ['analyze', '$D/s.pcap', '--max-flows', 'abc'], code: 2, line: /^--max-flows must be a whole number from 1000 to 50000000/ },
  { name: 'analyze: --detectors nope', args: ['analyze', '$D/s.pcap', '--detectors', 'nope'], code: 2, line: /^--detectors: unknown "nope"/ },
  { name: 'analyze: --json - --eve -', args: ['analyze', '$D/s.pcap', '--json', '-', '--eve', '-'], code: 2, line: /^--eve and --json cannot both write to stdout/ },
  { name: 'analyze: --json into a missing directory', args: ['analyze', '$D/s.pcap', '--json', '$D/nope/x.json'], code: 2, line: /^--json \S+nope\/x\.json: directory \S+nope does not exist/, absent: ['$D/nope'] },
  { name: 'analyze: --eve into a missing directory', args: ['analyze', '$D/s.pcap', '--eve', '$D/nope/x.eve'], code: 2, line: /^--eve \S+nope\/x\.eve: directory \S+nope does not exist/, absent: ['$D/nope'] },
  { name: 'analyze: --suppress missing', args: ['analyze', '$D/s.pcap', '--suppress', '$D/missing.json'], code: 2, line: /^--suppress \S+missing\.json: no such file$/ },
  { name: 'analyze: --suppress not JSON', args: ['analyze', '$D/s.pcap', '--suppress', '$D/not-json.json'], code: 2, line: /^--suppress \S+not-json\.json: not valid JSON \(/ },
  { name: 'analyze: --suppress fails its schema', args: ['analyze', '$D/s.pcap', '--suppress', '$D/suppress-schema.json'], code: 2, line: /^--suppress \S+suppress-schema\.json: rules\.0\.reason: / },
  { name: 'analyze: --lists-config missing', args: ['analyze', '$D/s.pcap', '--lists-config', '$D/missing.json'], code: 2, line: /^--lists-config \S+missing\.json: no such file$/ },
  { name: 'analyze: --lists-config not JSON', args: ['analyze', '$D/s.pcap', '--lists-config', '$D/not-json.json'], code: 2, line: /^--lists-config \S+not-json\.json: not valid JSON/ },
  { name: 'analyze: --lists-config fails its schema', args: ['analyze', '$D/s.pcap', '--lists-config', '$D/lists-schema.json'], code: 2, line: /^--lists-config \S+lists-schema\.json: lists\.0: / },
  { name: 'analyze: --rules missing', args: ['analyze', '$D/s.pcap', '--rules', '$D/missing.rules'], code: 2, line: /^--rules \S+missing\.rules: no such file or directory$/ },
  // telescope
  { name: 'telescope: no --darknet', args: ['telescope', '$D/s.pcap'], code: 2, line: /^--darknet CIDR\[,CIDR…\] is required/ },
  { name: 'telescope: --darknet 10.0.0.0/99', args: ['telescope', '$D/s.pcap', '--darknet', '10.0.0.0/99'], code: 2, line: /^--darknet: "10\.0\.0\.0\/99" is not a CIDR/ },
  { name: 'telescope: --interval soon', args: ['telescope', '$D/s.pcap', '--darknet', '198.18.0.0/16', '--interval', 'soon'], code: 2, line: /^--interval must look like 1h/ },
  { name: 'telescope: --max-sources 5', args: ['telescope', '$D/s.pcap', '--darknet', '198.18.0.0/16', '--max-sources', '5'], code: 2, line: /^--max-sources must be a whole number from 1000 to 100000000/ },
  { name: 'telescope: --csv under a missing directory', args: ['telescope', '$D/s.pcap', '--darknet', '198.18.0.0/16', '--csv', '$D/nope/dir'], code: 2, line: /^--csv \S+nope\/dir: directory \S+nope does not exist/, absent: ['$D/nope'] },
  { name: 'telescope: --json - --eve -', args: ['telescope', '$D/s.pcap', '--darknet', '198.18.0.0/16', '--json', '-', '--eve', '-'], code: 2, line: /^--json and --eve cannot both write to stdout/ },
  { name: 'telescope: --watch missing', args: ['telescope', '$D/s.pcap', '--darknet', '198.18.0.0/16', '--watch', '$D/missing.txt'], code: 2, line: /^--watch \S+missing\.txt: no such file$/ },
  { name: 'telescope: --watch with a bad range', args: ['telescope', '$D/s.pcap', '--darknet', '198.18.0.0/16', '--watch', '$D/watch-bad.txt'], code: 2, line: /^--watch \S+watch-bad\.txt: line 1: "10\.0\.0\.0\/40" is not an address range/ },
  { name: 'telescope: --geoip-db missing', args: ['telescope', '$D/s.pcap', '--darknet', '198.18.0.0/16', '--geoip-db', '$D/missing.mmdb'], code: 2, line: /^--geoip-db \S+missing\.mmdb: cannot read the country database/ },
  { name: 'telescope merge: missing file', args: ['telescope', 'merge', '$D/missing.json'], code: 2, line: /missing\.json: no such file( or directory)?$/ },
  { name: 'telescope merge: not JSON', args: ['telescope', 'merge', '$D/not-json.json'], code: 2, line: /not-json\.json: not valid JSON/ },
  // scan
  { name: 'scan: 0.0.0.0', args: ['scan', '0.0.0.0', '--no-progress'], code: 2, line: /^0\.0\.0\.0 is not a host address/ },
  { name: 'scan: public address without consent', args: ['scan', '8.8.8.8', '--no-progress'], code: 2, line: /^8\.8\.8\.8 is a public address; .*--i-own-these-addresses/ },
  { name: 'scan: --ports abc', args: ['scan', '127.0.0.1', '--ports', 'abc'], code: 2, line: /^bad port list "abc"/ },
  { name: 'scan: --timeout -3', args: ['scan', '127.0.0.1', '--timeout', '-3'], code: 2, line: /^--timeout must be a whole number from 1 to 60000/ },
  { name: 'scan: --json into a missing directory', args: ['scan', '127.0.0.1', '-p', '9', '--timeout', '200', '--no-progress', '--json', '$D/nope/x.json'], code: 2, line: /^--json \S+nope\/x\.json: directory \S+nope does not exist/, absent: ['$D/nope'] },
  { name: 'scan: --json - --eve -', args: ['scan', '127.0.0.1', '-p', '9', '--no-progress', '--json', '-', '--eve', '-'], code: 2, line: /^--json and --eve cannot both write to stdout/ },
  { name: 'scan: --credentials fails its schema', args: ['scan', '127.0.0.1', '-p', '9', '--timeout', '200', '--no-progress', '--check-credentials', '--credentials', '$D/creds-schema.json'], code: 2, line: /^--credentials \S+creds-schema\.json: credentials\.0\./ },
  { name: 'scan: --credentials not JSON', args: ['scan', '127.0.0.1', '-p', '9', '--timeout', '200', '--no-progress', '--check-credentials', '--credentials', '$D/not-json.json'], code: 2, line: /^--credentials \S+not-json\.json: not valid JSON/ },
  // lists
  { name: 'lists export: unknown format', args: ['lists', 'export', '-f', 'nope'], code: 2, line: /^unknown --format nope: use one of/ },
  { name: 'lists export: -c not JSON', args: ['lists', 'export', '-f', 'hosts', '-c', '$D/not-json.json'], code: 2, line: /^--lists-config \S+not-json\.json: not valid JSON/ },
  { name: 'lists show: -c fails its schema', args: ['lists', 'show', '-c', '$D/lists-schema.json'], code: 2, line: /^--lists-config \S+lists-schema\.json: lists\.0: / },
  { name: 'lists update: -c missing', args: ['lists', 'update', '-c', '$D/missing.json'], code: 2, line: /^--lists-config \S+missing\.json: no such file$/ },
  { name: 'lists export: -o into a missing directory', args: ['lists', 'export', '-f', 'hosts', '-o', '$D/nope/x.txt'], code: 2, line: /^--output \S+nope\/x\.txt: directory \S+nope does not exist/, absent: ['$D/nope'] },
  { name: 'lists update: --timeout abc', args: ['lists', 'update', '--timeout', 'abc'], code: 2, line: /^--timeout must be a whole number/ },
  // synth, demo, schema, the program
  { name: 'synth: unknown kind', args: ['synth', 'nope', '-o', '$D/x.pcap'], code: 2, line: /^unknown kind "nope"/ },
  { name: 'synth: no -o', args: ['synth', 'sample'], code: 2, line: /^missing -o FILE/ },
  { name: 'synth: --packets abc', args: ['synth', 'small', '--packets', 'abc', '-o', '$D/x.pcap'], code: 2, line: /^--packets: "abc" is not a number/ },
  { name: 'synth: -o into a missing directory', args: ['synth', 'small', '--packets', '1000', '-o', '$D/nope/x.pcap'], code: 2, line: /^--output \S+nope\/x\.pcap: directory \S+nope does not exist/, absent: ['$D/nope'] },
  { name: 'demo: --eve into a missing directory', args: ['demo', '$D/s.pcap', '--eve', '$D/nope/x.eve'], code: 2, line: /^--eve \S+nope\/x\.eve: directory \S+nope does not exist/, absent: ['$D/nope'] },
  { name: 'schema: unknown name', args: ['schema', 'nope'], code: 2, line: /^unknown schema "nope"/ },
  { name: 'unknown command', args: ['nosuch'], code: 2, line: /^unknown command 'nosuch'; see minewatch --help$/ },
];

/** Replaces `$D` in arguments and paths. */
export function withDir(s: string, dir: string): string {
  return s.split('$D').join(dir);
}
