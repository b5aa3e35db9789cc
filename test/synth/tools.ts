/** Shared helpers for the synth tests: temp files, sha256, and running tshark when installed. */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(): { dir: string; file: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'minewatch-synth-'));
  return { dir, file: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

const HAVE_TSHARK = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;

/** `skip` option for tests that need tshark: loud skip, but a failure under CI=true. */
export function needTshark(): false | string {
  if (HAVE_TSHARK) return false;
  const msg = 'tshark not installed (apt-get install -y tshark)';
  if (process.env.CI === 'true') throw new Error(`CI=true and ${msg}`);
  console.error(`\n*** SKIPPING: ${msg} ***\n`);
  return msg;
}

/** Runs tshark and returns stdout lines (without the trailing empty line). */
export function tshark(args: string[]): string[] {
  const out = execFileSync('tshark', ['-n', ...args], { encoding: 'utf8', maxBuffer: 512 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l.length > 0);
}

/** Rows of tab-separated fields for `-T fields -e …`. */
export function tsharkFields(file: string, filter: string, fields: string[]): string[][] {
  const args = ['-r', file, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])];
  if (filter) args.push('-Y', filter);
  return tshark(args).map((l) => l.split('\t'));
}

export const CHECKSUM_ARGS = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];
export const BAD_CHECKSUM_FILTER = 'ip.checksum.status==Bad || tcp.checksum.status==Bad || udp.checksum.status==Bad || icmp.checksum.status==Bad';

/** One tshark pass over a capture, decoded into the fields the synth tests compare with the truth. */
export interface Row {
  src: string; dst: string; sport: number; dport: number; udpSport: number; flags: number; tcpLen: number; payload: Buffer;
  win: number; mss: number; dnsResponse: boolean | null; qname: string; dnsA: string[]; tlsTypes: number[]; sni: string;
  httpRequest: boolean; httpHost: string; httpCode: number; contentEncoding: string; transferEncoding: string; fileData: string;
  tcp: boolean; icmp: boolean; src6: string; dst6: string; tsUs: number; ipId: number; seqRaw: number; ttl: number;
}

const ROW_FIELDS = ['ip.src', 'ip.dst', 'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'tcp.flags', 'tcp.len', 'tcp.payload', 'tcp.window_size_value',
  'tcp.options.mss_val', 'dns.flags.response', 'dns.qry.name', 'dns.a', 'tls.handshake.type', 'tls.handshake.extensions_server_name', 'http.request',
  'http.host', 'http.response.code', 'http.content_encoding', 'http.transfer_encoding', 'http.file_data', 'icmp.type', 'ipv6.src', 'ipv6.dst',
  'frame.time_epoch', 'ip.id', 'tcp.seq_raw', 'udp.dstport', 'ip.ttl'];

const first = (s: string | undefined): string => (s ?? '').split(',')[0];

export function tsharkRows(file: string): Row[] {
  return tsharkFields(file, '', ROW_FIELDS).map((f) => ({
    src: first(f[0]), dst: first(f[1]), sport: Number(first(f[2]) || 0), dport: Number(first(f[3]) || first(f[27]) || 0), udpSport: Number(first(f[4]) || 0),
    flags: Number(f[5] || 0), tcpLen: Number(f[6] || 0), payload: Buffer.from(f[7] ?? '', 'hex'), win: Number(f[8] || 0), mss: Number(f[9] || 0),
    dnsResponse: f[10] ? f[10] === '1' || f[10] === 'True' : null, qname: f[11] ?? '', dnsA: f[12] ? f[12].split(',') : [],
    tlsTypes: f[13] ? f[13].split(',').map(Number) : [], sni: f[14] ?? '', httpRequest: !!f[15], httpHost: f[16] ?? '', httpCode: Number(f[17] || 0),
    contentEncoding: f[18] ?? '', transferEncoding: f[19] ?? '', fileData: f[20] ?? '', tcp: !!f[5], icmp: !!f[21], src6: first(f[22]), dst6: first(f[23]),
    tsUs: Math.round(Number(f[24]) * 1e6), ipId: Number(first(f[25]) || 0), seqRaw: Number(first(f[26]) || 0), ttl: Number(first(f[28]) || 0),
  }));
}

/**
 * Frames with bad checksums or malformed dissection, and (for captures of whole
 * conversations) TCP analysis flags — as tshark display lines.
 */
export function tsharkProblems(file: string, tcpAnalysis = true): string[] {
  return tshark(['-r', file, ...CHECKSUM_ARGS, '-Y', `${BAD_CHECKSUM_FILTER} || _ws.malformed${tcpAnalysis ? ' || tcp.analysis.flags' : ''}`]);
}
