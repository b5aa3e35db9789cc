import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../../src/pipeline/analyze.js';
import { MemorySink } from '../../src/pipeline/eve-writer.js';
import { FlowEvent } from '../../src/events/eve.js';
import { EventMerger } from '../../src/pipeline/analyze.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { pcapFile, type PcapRecord } from '../capture/builders.js';
import { ethernet, ipv4, tcp, udp } from '../decode/frames.js';

const DIRS = ['mining', 'benign', 'darknet', 'browser-miner', 'iot-malware'];

/** Flow events without the run-specific id, sorted, for comparing runs. */
function flowKeys(events: Record<string, unknown>[]): string[] {
  return events
    .filter((e) => e.event_type === 'flow')
    .map((e) => {
      const { flow_id: _id, ...rest } = e;
      return JSON.stringify(rest);
    })
    .sort();
}

for (const [i, dir] of DIRS.entries()) {
  // 2 workers everywhere, 3 on one directory (route bytes naming a third worker)
  const workers = i === 0 ? 3 : 2;
  test(`single-threaded and ${workers} workers agree on ${dir}/`, { skip: needSharedData() }, async () => {
    const one = new MemorySink();
    const two = new MemorySink();
    const a = await analyze({ inputs: [sharedFile(dir)], workers: 1, sink: one, progress: false });
    const b = await analyze({ inputs: [sharedFile(dir)], workers, sink: two, progress: false });
    assert.ok(a.summary.packets > 0);
    for (const k of ['packets', 'bytes', 'flows'] as const) assert.equal(b.summary[k], a.summary[k], k);
    assert.deepEqual(b.summary.malformed, a.summary.malformed);
    assert.deepEqual(b.summary.alerts, a.summary.alerts);
    assert.deepEqual(b.summary.link_types, a.summary.link_types);
    assert.deepEqual(flowKeys(two.events), flowKeys(one.events));
    // every flow event is valid EVE and flow ids are unique within the run
    const ids = new Set<number>();
    for (const e of one.events.filter((x) => x.event_type === 'flow')) {
      FlowEvent.parse(e);
      ids.add(e.flow_id as number);
    }
    assert.equal(ids.size, a.summary.flows);
    // merged worker output comes out in non-decreasing production order of timestamps per flow end
    assert.equal(two.events.filter((x) => x.event_type === 'flow').length, b.summary.flows);
  });
}

test('a capture cut in the middle of a record is analysed up to the cut and the loss is counted', { skip: needSharedData() }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-pipe-'));
  try {
    const whole = readFileSync(sharedFile('mining/monero-xmrstak-dwarfpool-9050.pcap'));
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6) + 7));
    const full = await analyze({ inputs: [sharedFile('mining/monero-xmrstak-dwarfpool-9050.pcap')], workers: 1, progress: false });
    const part = await analyze({ inputs: [cut], workers: 1, progress: false });
    assert.ok(part.summary.packets > 0 && part.summary.packets < full.summary.packets);
    const lost = Object.entries(part.summary.malformed).filter(([k]) => k.startsWith('capture.'));
    assert.ok(lost.length > 0, `expected a capture.* malformed reason, got ${JSON.stringify(part.summary.malformed)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('event merger releases in time order and never ahead of a silent worker', () => {
  const out: string[] = [];
  const m = new EventMerger(2, (line) => out.push(line));
  m.push(0, [[10, 'x', 'a10'], [30, 'x', 'a30']], 30);
  assert.deepEqual(out, [], 'worker 1 has said nothing yet: nothing may be released');
  m.push(1, [[20, 'x', 'b20']], 25);
  assert.deepEqual(out, ['a10', 'b20'], 'a30 waits: worker 1 may still produce something at 25..30');
  m.push(1, [], 40);
  assert.deepEqual(out, ['a10', 'b20', 'a30']);
  m.push(1, [[40, 'x', 'b40']], 40);
  m.finish(0);
  m.finish(1);
  assert.deepEqual(out, ['a10', 'b20', 'a30', 'b40']);
});

test('decode problems are counted once whatever the number of workers', async () => {
  const { PcapWriter } = await import('../../src/capture/pcap-writer.js');
  const dir = mkdtempSync(join(tmpdir(), 'mw-pipe-'));
  try {
    const path = join(dir, 'bad.pcap');
    const w = new PcapWriter(path);
    for (let i = 0; i < 400; i++) {
      const f = new Uint8Array(60);
      f.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00], 0);
      // IPv4 header; every third packet has a broken IHL, every fifth a truncated TCP header,
      // every seventh an IHL of 15 (60 bytes) that the 60-byte frame cuts short (the reader
      // still routes it by its addresses)
      f[14] = i % 3 === 0 ? 0x42 : i % 7 === 0 ? 0x4f : 0x45;
      f[16] = 0; f[17] = i % 5 === 0 ? 24 : 46;
      f[22] = 64; f[23] = 6;
      f.set([10, 0, (i >> 8) & 255, i & 255, 192, 0, 2, (i * 7) & 255], 26);
      f[34] = 0x30; f[35] = 0x39; f[36] = 0x00; f[37] = 80; f[46] = 0x50; f[47] = 0x02;
      w.write(1_700_000_000_000_000 + i * 1000, f);
    }
    w.close();
    const one = await analyze({ inputs: [path], workers: 1, progress: false });
    const two = await analyze({ inputs: [path], workers: 2, progress: false });
    assert.ok(Object.values(one.summary.malformed).reduce((a, b) => a + b, 0) > 100, JSON.stringify(one.summary.malformed));
    assert.deepEqual(two.summary.malformed, one.summary.malformed);
    assert.equal(two.summary.packets, one.summary.packets);
    assert.equal(two.summary.flows, one.summary.flows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('in a flood (flow-index warming on), every reply finds its flow: the hash kept from warming equals the decoded packet\'s', async () => {
  // 40,000 flows (over the pipeline's warming threshold), half TCP, half UDP, addresses below
  // and above 2^31; then a reply to each. Every 97th flow is VLAN-tagged (not warmed: its
  // lookup hashes the decoded packet, in windows mixing both kinds), every 89th reply is cut
  // inside its L4 header after the ports (warmed; decoded with ports, counted truncated).
  const FLOWS = 40_000;
  const client = (i: number) => `${i % 2 === 0 ? 10 : 203}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const server = (i: number) => (i % 3 === 0 ? '198.51.100.1' : '100.64.0.9');
  const frame = (i: number, reply: boolean): Uint8Array => {
    const [src, dst] = reply ? [server(i), client(i)] : [client(i), server(i)];
    const [sport, dport] = reply ? [443, 1024 + (i % 60000)] : [1024 + (i % 60000), 443];
    const proto = i % 2 === 0 ? 6 : 17;
    const l4 = proto === 6 ? tcp({ sport, dport, flags: reply ? 0x12 : 0x02 }) : udp(sport, dport, new Uint8Array(4));
    return ethernet(0x0800, ipv4({ src, dst, proto }, l4), i % 97 === 0 ? { vlans: [{ tpid: 0x8100, id: 7 }] } : {});
  };
  const records: PcapRecord[] = [];
  for (let i = 0; i < FLOWS; i++) records.push({ sec: 1_700_000_000, sub: i, data: frame(i, false) });
  for (let i = 0; i < FLOWS; i++) {
    const f = frame(i, true);
    records.push({ sec: 1_700_000_001, sub: i, data: i % 89 === 0 && i % 97 !== 0 ? f.subarray(0, 40) : f, wireLen: f.length });
  }
  const dir = mkdtempSync(join(tmpdir(), 'mw-flood-'));
  try {
    const file = join(dir, 'flood.pcap');
    writeFileSync(file, pcapFile(records));
    for (const workers of [1, 2]) {
      const sink = new MemorySink();
      const r = await analyze({ inputs: [file], workers, sink, progress: false });
      const flows = sink.events.filter((e) => e.event_type === 'flow') as { flow: { pkts_toserver: number; pkts_toclient: number } }[];
      assert.equal(r.summary.flows, FLOWS, `${workers} worker(s): flows`);
      assert.equal(flows.filter((e) => e.flow.pkts_toserver === 1 && e.flow.pkts_toclient === 1).length, FLOWS, `${workers} worker(s): answered flows`);
      assert.ok((r.summary.malformed['ipv4.truncated'] ?? 0) >= Math.floor(FLOWS / 89) - Math.floor(FLOWS / (89 * 97)) - 1, JSON.stringify(r.summary.malformed));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
