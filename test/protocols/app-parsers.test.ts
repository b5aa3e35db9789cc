import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { fakeFlow, hexBytes, needTshark, tsharkFields, type TestFlow } from './helpers.js';
import { createParsers, loadComponentModules } from '../../src/pipeline/analyzers.js';
import type { ProtocolMessage } from '../../src/events/detector.js';

const m = await loadComponentModules();
/** The parsers of the registry (pipeline/components.ts) for datagrams and the first app protocols. */
const APP = ['mdns', 'dhcp', 'ssdp', 'dns', 'tls', 'http'];
const createAppConsumers = (sink: Parameters<typeof createParsers>[1]) => createParsers(m, sink, { parserOn: (id) => APP.includes(id) });

void test('registry: unique ids, every consumer counts', () => {
  const consumers = createAppConsumers(() => {});
  const ids = consumers.map((c) => c.id);
  assert.deepEqual([...ids].sort(), ['dhcp', 'dns', 'http', 'mdns', 'ssdp', 'tls']);
  for (const c of consumers) assert.equal(c.malformed!.total() + c.stats!.total(), 0);
});

void test('UDP datagrams of real captures: each protocol claimed by exactly its consumer, counts equal tshark', { skip: needSharedData() || needTshark() }, () => {
  for (const file of ['benign/iphone-wifi-join-dhcp-mdns-dns-tls.pcap', 'benign/android-wifi-join-dhcp-mdns-ssdp-dns.pcap']) {
    const messages: ProtocolMessage[] = [];
    const consumers = createAppConsumers((_f, m) => { messages.push(m); });
    const rows = tsharkFields(sharedFile(file), 'udp && !icmp && !icmpv6', ['ip.src', 'ipv6.src', 'udp.srcport', 'ip.dst', 'ipv6.dst', 'udp.dstport', 'udp.payload', 'frame.protocols']);
    const flows = new Map<string, { flow: TestFlow; client: string; owners: typeof consumers }>();
    const expected: Record<string, number> = { dns: 0, mdns: 0, dhcp: 0, ssdp: 0 };
    for (const [s4, s6, sport, d4, d6, dport, payload, protocols] of rows) {
      if (!payload) continue;
      const src = `${s4 || s6}:${sport}`;
      const dst = `${d4 || d6}:${dport}`;
      const key = src < dst ? `${src}|${dst}` : `${dst}|${src}`;
      const data = hexBytes(payload);
      let entry = flows.get(key);
      if (!entry) {
        const flow = fakeFlow(17, Number(sport), Number(dport), flows.size + 1);
        entry = { flow, client: src, owners: consumers.filter((c) => c.accepts(flow, 0, data)) };
        flows.set(key, entry);
      }
      const dir = entry.client === src ? 0 : 1;
      for (const c of entry.owners) c.onData(entry.flow, dir, data, 0);
      const p = protocols.split(':');
      if (p.includes('mdns')) expected.mdns++;
      else if (p.includes('dns')) expected.dns++;
      else if (p.includes('dhcp')) expected.dhcp++;
      else if (p.includes('ssdp')) expected.ssdp++;
    }
    const got: Record<string, number> = { dns: 0, mdns: 0, dhcp: 0, ssdp: 0 };
    for (const m of messages) got[m.protocol] = (got[m.protocol] ?? 0) + 1;
    assert.deepEqual(got, expected, file);
    for (const c of consumers) assert.equal(c.malformed!.total(), 0, `${file} ${c.id}: ${JSON.stringify(c.malformed!.toJSON())}`);
    console.log(`${file}: ${JSON.stringify(got)}`);
  }
});
