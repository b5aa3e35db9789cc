/**
 * The flow stage on real captures, checked against tshark: per-flow packet counts per
 * direction (tcp.stream), and the reassembled bytes of every TCP stream byte for byte
 * (tshark -z follow,tcp,raw).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { IpProto } from '../../src/events/packet.js';
import { ConsumerVerdict, type StreamConsumer } from '../../src/events/stream.js';
import { FlowEvent } from '../../src/events/eve.js';
import { FlowEngine } from '../../src/flow/engine.js';
import { flowToEve } from '../../src/flow/eve-flow.js';
import { readEthernetPcap } from './pcap-fixture.js';

function haveTshark(): false | string {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return false;
  } catch {
    const msg = 'tshark not installed (apt-get install -y tshark)';
    if (process.env.CI === 'true') throw new Error(`CI=true and ${msg}`);
    console.error(`\n*** SKIPPING: ${msg} ***\n`);
    return msg;
  }
}

function tshark(args: string[]): string {
  return execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
}

interface TsharkStream { key: string; toServer: number; toClient: number; client: string; server: string }

/** Per tcp.stream: endpoints (first packet's sender = client, as in our table for non-SYN-ACK starts) and packets per direction. */
function tsharkStreams(file: string): Map<number, TsharkStream> {
  const out = new Map<number, TsharkStream>();
  const text = tshark(['-r', file, '-Y', 'tcp', '-T', 'fields', '-e', 'tcp.stream', '-e', 'ip.src', '-e', 'tcp.srcport', '-e', 'ip.dst', '-e', 'tcp.dstport', '-e', 'tcp.flags']);
  for (const line of text.trim().split('\n')) {
    const [stream, src, sport, dst, dport, flags] = line.split('\t');
    const id = Number(stream);
    let s = out.get(id);
    if (!s) {
      const synAck = (Number(flags) & 0x12) === 0x12;
      const client = synAck ? `${dst}:${dport}` : `${src}:${sport}`;
      const server = synAck ? `${src}:${sport}` : `${dst}:${dport}`;
      s = { key: `${client}-${server}`, toServer: 0, toClient: 0, client, server };
      out.set(id, s);
    }
    if (`${src}:${sport}` === s.client) s.toServer++;
    else s.toClient++;
  }
  return out;
}

/** tshark's reassembled payload of one stream: node 0 lines, and tab-indented node 1 lines. */
function tsharkFollow(file: string, streams: number[]): Map<number, { node0: string; node1: string; clientNode0: string }> {
  const args = ['-r', file, '-q'];
  for (const s of streams) args.push('-z', `follow,tcp,raw,${s}`);
  const text = tshark(args);
  const out = new Map<number, { node0: string; node1: string; clientNode0: string }>();
  for (const block of text.split('===================================================================').slice(1)) {
    const m = /Filter: tcp\.stream eq (\d+)/.exec(block);
    if (!m) continue;
    const node0 = /Node 0: (.*)/.exec(block)![1].trim();
    let a = '';
    let b = '';
    for (const line of block.split('\n')) {
      if (/^\t[0-9a-f]+$/.test(line)) b += line.trim();
      else if (/^[0-9a-f]+$/.test(line)) a += line;
    }
    out.set(Number(m[1]), { node0: a, node1: b, clientNode0: node0 });
  }
  return out;
}

const CAPTURES = [
  'mining/monero-xmrstak-dwarfpool-9050.pcap',
  'mining/zcash-stratum-ewbf-flypool-3333.pcap',
  'mining/bitcoin-stratum-midstream-notify.pcap',
];

for (const rel of CAPTURES) {
  void test(`real capture ${rel}: flows and reassembled streams equal tshark's`, { skip: needSharedData() || haveTshark() }, () => {
    const file = sharedFile(rel);
    const streams = new Map<number, { key: string; bytes: [number[], number[]] }>();
    const ended = new Map<string, { toServer: number; toClient: number; event: FlowEvent }>();
    const recorder: StreamConsumer = {
      id: 'recorder',
      accepts: (flow) => flow.proto === IpProto.TCP,
      onData: (flow, dir, data) => {
        let s = streams.get(flow.id);
        if (!s) {
          s = { key: `${flow.clientIp}:${flow.clientPort}-${flow.serverIp}:${flow.serverPort}`, bytes: [[], []] };
          streams.set(flow.id, s);
        }
        for (const b of data) s.bytes[dir].push(b);
        return ConsumerVerdict.CONTINUE;
      },
      onGap: () => {
        throw new Error('unexpected gap in a clean capture');
      },
    };
    const engine = new FlowEngine({
      maxFlows: 1024,
      streamDepth: 0,
      consumers: [recorder],
      onFlowEnd: (flow, reason) => {
        if (flow.proto !== IpProto.TCP) return;
        const key = `${flow.clientIp}:${flow.clientPort}-${flow.serverIp}:${flow.serverPort}`;
        ended.set(key, { toServer: flow.pktsToServer, toClient: flow.pktsToClient, event: flowToEve(flow, reason, false) });
      },
    });
    let packets = 0;
    for (const { pkt, hash } of readEthernetPcap(file)) {
      engine.process(pkt, hash);
      packets++;
    }
    engine.finish();
    assert.ok(packets > 100);
    const stats = engine.stats();
    assert.equal(stats.dispatch.consumers['consumer.recorder.exception'], undefined);
    assert.equal(stats.reassembly.gaps, 0);

    const expected = tsharkStreams(file);
    assert.equal(ended.size, expected.size, 'TCP flow count');
    for (const s of expected.values()) {
      const ours = ended.get(s.key);
      assert.ok(ours, `flow ${s.key} missing`);
      assert.deepEqual([ours.toServer, ours.toClient], [s.toServer, s.toClient], `packets of ${s.key}`);
      FlowEvent.parse(ours.event);
    }
    const follow = tsharkFollow(file, [...expected.keys()]);
    let compared = 0;
    for (const [id, s] of expected) {
      const f = follow.get(id)!;
      const ourStream = [...streams.values()].find((x) => x.key === s.key);
      const clientFirst = f.clientNode0 === s.client;
      const wantToServer = clientFirst ? f.node0 : f.node1;
      const wantToClient = clientFirst ? f.node1 : f.node0;
      const hex = (a: number[] | undefined) => Buffer.from(a ?? []).toString('hex');
      assert.equal(hex(ourStream?.bytes[0]), wantToServer, `to-server bytes of ${s.key}`);
      assert.equal(hex(ourStream?.bytes[1]), wantToClient, `to-client bytes of ${s.key}`);
      compared += wantToServer.length / 2 + wantToClient.length / 2;
    }
    assert.ok(compared > 1000, `compared ${compared} bytes`);
  });
}
