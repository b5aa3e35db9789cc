/**
 * The ET rules on real captures: payloads and DNS/SNI names decoded by tshark (the reference
 * dissector), fed to RuleDetector. Mining captures raise the Stratum/getblocktemplate/login
 * rules; benign captures (including other crypto P2P traffic) raise nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { parseRules } from '../../src/rules/parser.js';
import { RuleDetector } from '../../src/rules/detector.js';
import { CollectingContext, packetOf } from './rule-inputs.js';
import { msg } from '../helpers/messages.js';
import { tsharkPayloads } from './captures.js';

function haveTshark(): boolean {
  if (['/usr/bin/tshark', '/usr/local/bin/tshark'].some((p) => existsSync(p))) return true;
  if (process.env.CI === 'true') throw new Error('CI=true and tshark is not installed');
  console.error('\n*** SKIPPING capture rule tests: tshark not installed ***\n');
  return false;
}

function alertsFor(file: string): Record<number, number> {
  const { rules } = parseRules(readFileSync(sharedFile('lists/et-open-coinmining-rules-all-categories.rules'), 'utf8'));
  const det = new RuleDetector(rules);
  const ctx = new CollectingContext();
  const pkts = tsharkPayloads(sharedFile(file));
  assert.ok(pkts, `tshark read ${file}`);
  for (const p of pkts) {
    (p.flow as { lastDir: 0 | 1 }).lastDir = p.dir;
    if (p.payload.length > 0) {
      const v = packetOf(p.payload, p.tsUs);
      v.proto = p.flow.proto;
      det.onPacket(v, p.flow, ctx);
    }
    if (p.dnsQuery) det.onMessage(msg('dns', 'query', { qname: p.dnsQuery, response: false }, p.dir, p.tsUs), p.flow, ctx);
    if (p.sni) det.onMessage(msg('tls', 'client_hello', { sni: p.sni }, p.dir, p.tsUs), p.flow, ctx);
  }
  const counts: Record<number, number> = {};
  for (const a of ctx.alerts) {
    counts[a.signatureId] = (counts[a.signatureId] ?? 0) + 1;
    const ev = a.evidence as { matched?: string };
    assert.ok(typeof ev.matched === 'string' && ev.matched.length > 0, 'matched bytes in evidence');
  }
  return counts;
}

const EXPECTED: Record<string, Record<number, number>> = {
  // bfgminer: mining.subscribe/authorize (2017871) and getblocktemplate requests (2017878)
  'mining/bitcoin-bfgminer-stratum-gbt-getwork.pcap': { 2017871: 4, 2017878: 3 },
  // cgminer probing many pools: subscribe/authorize, notify responses (2017872/2017873), GBT
  'mining/cgminer-getwork-gbt-stratum-probe.pcapng': { 2017871: 222, 2017872: 3, 2017873: 7, 2017878: 154 },
  // the Monero xmr-stak login with agent (2022886) and the Zcash subscribe/authorize
  'mining/mixed-zcash-monero-eth-stratum.pcapng': { 2017871: 4, 2022886: 1 },
  'mining/monero-xmrstak-dwarfpool-9050.pcap': { 2022886: 1 },
  'mining/zcash-stratum-ewbf-flypool-3333.pcap': { 2017871: 4 },
  'benign/crypto-p2p-bitcoin-node-8333.pcap': {},
  'benign/crypto-p2p-monero-node-18080.pcap': {},
  'benign/ethereum-jsonrpc-geth-http.pcap': {},
  'benign/iphone-wifi-join-dhcp-mdns-dns-tls.pcap': {},
  'benign/android-wifi-join-dhcp-mdns-ssdp-dns.pcap': {},
};

test('ET rules on real captures: mining sessions alert as the rules intend, benign traffic does not', { skip: needSharedData() }, () => {
  if (!haveTshark()) return;
  for (const [file, expected] of Object.entries(EXPECTED)) assert.deepEqual(alertsFor(file), expected, file);
});
