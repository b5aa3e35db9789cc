/**
 * NetBIOS name service (UDP 137) and DHCP option 81 as host-name sources: the parsers on
 * hand-built and generated packets (tshark as the reference: the shared captures hold neither),
 * malformed input counted by reason, property tests, and the inventory naming a device from them
 * alone — and not from a query for another name, a group name, or a remote sender.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createNetbiosConsumer, netbiosKind, parseNetbios } from '../../src/protocols/netbios.js';
import { clientFqdn, createDhcpConsumer, parseDhcp } from '../../src/protocols/dhcp.js';
import { ReasonCounter } from '../../src/events/counters.js';
import { clientFqdnOption, dhcpMessage, netbiosRegistration } from '../../src/synth/home.js';
import { generateHome } from '../../src/synth/home.js';
import { PcapEmitter } from '../../src/synth/emitter.js';
import { FrameBuilder, Path } from '../../src/synth/packet-builder.js';
import { analyze } from '../../src/pipeline/analyze.js';
import { fakeFlow, hexBytes, needTshark, recordingSink, tsharkFields } from './helpers.js';
import { assertMessage } from '../helpers/messages.js';

const ip4 = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

test('NetBIOS: a registration gives name, suffix, address, kind; a query for a name; counted malformed', () => {
  const reg = parseNetbios(netbiosRegistration('office-pc', 0x20, ip4(192, 168, 1, 7)));
  assert.ok(reg.ok);
  assert.deepEqual(reg.value, { opcode: 5, response: false, rcode: 0, name: 'OFFICE-PC', suffix: 0x20, group: false, address: '192.168.1.7' });
  assert.equal(netbiosKind(reg.value.opcode), 'registration');
  const grp = parseNetbios(netbiosRegistration('WORKGROUP', 0x00, ip4(192, 168, 1, 7), { group: true }));
  assert.ok(grp.ok && grp.value.group);
  assert.equal(netbiosKind(8), 'refresh');
  assert.equal(netbiosKind(7), 'wack');
  assert.equal(netbiosKind(3), 'other');

  // a query: header + question only
  const q = Buffer.from(netbiosRegistration('FILESERVER', 0x20, 0)).subarray(0, 12 + 34 + 4);
  q.writeUInt16BE(0x0110, 2);
  q.writeUInt16BE(0, 10);
  const query = parseNetbios(q);
  assert.ok(query.ok);
  assert.equal(query.value.name, 'FILESERVER');
  assert.equal(query.value.address, '');
  assert.equal(netbiosKind(query.value.opcode), 'query');

  const good = Buffer.from(netbiosRegistration('OFFICE-PC', 0, ip4(10, 0, 0, 2)));
  const badLetter = Buffer.from(good); badLetter[14] = 0x5a; // 'Z' is not a half-byte letter
  const forward = Buffer.from(good); forward.writeUInt16BE(0xc000 | 200, 12 + 34 + 4); // pointer past itself
  const cases: [Uint8Array, string][] = [
    [good.subarray(0, 8), 'short'],
    [badLetter, 'bad-name'],
    [good.subarray(0, 30), 'truncated'],
    [forward, 'bad-pointer'],
    [good.subarray(0, 12 + 34 + 4 + 8), 'truncated'],
  ];
  const s = recordingSink();
  const c = createNetbiosConsumer(s.sink);
  const f = fakeFlow(17, 137, 137);
  assert.ok(c.accepts(f, 0, good));
  assert.ok(!c.accepts(fakeFlow(17, 5353, 5353), 0, good));
  for (const [b, reason] of cases) {
    const r = parseNetbios(b);
    assert.deepEqual(r, { ok: false, reason }, reason);
    c.onData(f, 0, b, 1);
  }
  c.onData(f, 0, good, 2);
  assert.equal(s.messages.length, 1);
  assertMessage(s.messages[0]);
  assert.equal(c.malformed.total(), cases.length);
  assert.equal(c.malformed.get('truncated'), 2);
  assert.equal(c.stats.get('registration'), 1);
});

test('NetBIOS property: random and mutated datagrams never throw; names stay within 15 characters', () => {
  const base = netbiosRegistration('DESKTOP-ABC', 0, ip4(192, 168, 1, 9));
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
    const r = parseNetbios(b);
    if (r.ok) assert.ok(r.value.name.length <= 15 && r.value.suffix <= 255);
  }), { numRuns: 3000 });
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.nat(255)), { maxLength: 8 }), fc.nat(base.length), (flips, cut) => {
    const b = Uint8Array.from(base).subarray(0, Math.max(cut, 1));
    for (const [i, v] of flips) if (i < b.length) b[i] = v;
    const r = parseNetbios(b);
    if (r.ok) assert.ok(r.value.name.length <= 15);
  }), { numRuns: 3000 });
});

test('DHCP option 81: wire and ASCII names; a malformed one is counted and leaves the rest of the message', () => {
  const wire = clientFqdnOption('kitchen-laptop.home.arpa');
  assert.equal(clientFqdn(wire, 0, wire.length), 'kitchen-laptop.home.arpa');
  const ascii = clientFqdnOption('tv.example', false);
  assert.equal(clientFqdn(ascii, 0, ascii.length), 'tv.example');
  assert.equal(clientFqdn(Uint8Array.from([0x04, 0, 0, 70, 0x41]), 0, 5), null, 'label longer than 63');
  assert.equal(clientFqdn(Uint8Array.from([0x04, 0, 0, 5, 0x41]), 0, 5), null, 'label past the option');
  assert.equal(clientFqdn(Uint8Array.from([0x04, 0]), 0, 2), null, 'shorter than its fixed part');
  assert.equal(clientFqdn(Uint8Array.from([0x05, 0, 0]), 0, 3), '', 'empty name: the client asks the server to choose');

  const mac = Uint8Array.from([0x00, 0x11, 0x22, 0x33, 0x44, 0x55]);
  const ok = parseDhcp(dhcpMessage(1, 3, 7, mac, 0, [[81, wire]]));
  assert.ok(ok.ok);
  assert.equal(ok.value.fqdn, 'kitchen-laptop.home.arpa');
  const s = recordingSink();
  const c = createDhcpConsumer(s.sink);
  c.onData(fakeFlow(17, 68, 67), 0, dhcpMessage(1, 3, 7, mac, 0, [[81, Uint8Array.from([0x04, 0, 0, 9, 0x41])], [12, Buffer.from('kept')]]), 1);
  assert.equal(s.messages.length, 1, 'the message still counts');
  assert.equal((s.messages[0].fields as { fqdn: string; hostname: string }).fqdn, '');
  assert.equal((s.messages[0].fields as { hostname: string }).hostname, 'kept');
  assert.equal(c.malformed.get('bad-option-81'), 1);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (body) => {
    const problems = new ReasonCounter();
    const r = parseDhcp(dhcpMessage(1, 3, 7, mac, 0, [[81, body]]), problems);
    assert.ok(r.ok);
    assert.ok(r.value.fqdn.length <= 255);
    assert.equal(problems.total() > 0, clientFqdn(body, 0, body.length) === null);
  }), { numRuns: 3000 });
});

test('generated home: NetBIOS and option 81 agree with tshark', { skip: needTshark() }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-nbns-'));
  try {
    const file = join(dir, 'home.pcap');
    await generateHome({ seed: 7 }, file);
    const nb = tsharkFields(file, 'nbns', ['udp.payload', 'nbns.name', 'nbns.addr', 'nbns.flags.opcode']);
    assert.ok(nb.length > 0);
    for (const [payload, name, addr, opcode] of nb) {
      const r = parseNetbios(hexBytes(payload));
      assert.ok(r.ok);
      // tshark: "DESKTOP-7QK2M1N<00>" once per name in the datagram
      const [text, suffix] = /^(.*)<([0-9a-f]{2})>/.exec(name.split(',')[0])!.slice(1);
      assert.equal(r.value.name, text);
      assert.equal(r.value.suffix, parseInt(suffix, 16));
      assert.equal(r.value.address, addr);
      assert.equal(r.value.opcode, Number(opcode));
    }
    const fq = tsharkFields(file, 'dhcp.option.type == 81', ['udp.payload', 'dhcp.fqdn.name']);
    assert.ok(fq.length > 0);
    for (const [payload, name] of fq) {
      const r = parseDhcp(hexBytes(payload));
      assert.ok(r.ok);
      assert.equal(r.value.fqdn, name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('inventory: a device named only by option 81, one only by its NetBIOS registration; not by a query, a group name or a remote host', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-nbns-'));
  try {
    const file = join(dir, 'names.pcap');
    const out = new PcapEmitter(file);
    const fb = new FrameBuilder();
    const bcast = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    const router = Uint8Array.from([0xe4, 0x8d, 0x8c, 0, 0, 1]);
    const macs = [1, 2, 3, 4, 5].map((i) => Uint8Array.from([0x00, 0x1b, 0x21, 0, 0, i]));
    let t = Date.UTC(2026, 0, 5) * 1000;
    const send = (path: Path, sport: number, dport: number, payload: Uint8Array) => {
      out.emit(t, fb.udp(path, sport, dport, payload, 0, payload.length));
      t += 1000;
    };
    const lan = (i: number) => ip4(192, 168, 1, 10 + i);
    // 0: option 81 only (no option 12)
    send(new Path(macs[0], bcast, 0, 0xffffffff), 68, 67, dhcpMessage(1, 3, 1, macs[0], 0, [[81, clientFqdnOption('kitchen-laptop.home.arpa')], [55, Uint8Array.from([1, 3, 6])]]));
    // 1: a NetBIOS registration only
    send(new Path(macs[1], bcast, lan(1), ip4(192, 168, 1, 255)), 137, 137, netbiosRegistration('OFFICE-PC', 0x00, lan(1)));
    // 2: a group name registration (the workgroup): names no device
    send(new Path(macs[2], bcast, lan(2), ip4(192, 168, 1, 255)), 137, 137, netbiosRegistration('WORKGROUP', 0x00, lan(2), { group: true }));
    // 3: a query for another host's name: names what it looks for, not itself
    const q = Buffer.from(netbiosRegistration('FILESERVER', 0x20, 0)).subarray(0, 50);
    q.writeUInt16BE(0x0110, 2); q.writeUInt16BE(0, 10);
    send(new Path(macs[3], bcast, lan(3), ip4(192, 168, 1, 255)), 137, 137, q);
    // 4: a registration from an Internet address, arriving through the router: not a home device
    send(new Path(router, macs[4], ip4(198, 51, 100, 9), lan(4)), 137, 137, netbiosRegistration('EVIL', 0x00, ip4(198, 51, 100, 9)));
    // 2 and 3 are devices of the inventory all the same (a DHCP request without a name)
    for (const i of [2, 3]) send(new Path(macs[i], bcast, 0, 0xffffffff), 68, 67, dhcpMessage(1, 3, 10 + i, macs[i], 0, [[55, Uint8Array.from([1, 3, 6])]]));
    out.close();
    const r = await analyze({ inputs: [file], workers: 1, progress: false });
    const byMac = new Map((r.devices ?? []).map((d) => [d.mac, d]));
    const hex = (m: Uint8Array) => [...m].map((x) => x.toString(16).padStart(2, '0')).join(':');
    assert.deepEqual(byMac.get(hex(macs[0]))?.hostnames, ['kitchen-laptop']);
    assert.deepEqual(byMac.get(hex(macs[1]))?.hostnames, ['OFFICE-PC']);
    assert.equal(byMac.get(hex(macs[1]))?.name, 'OFFICE-PC');
    assert.deepEqual(byMac.get(hex(macs[2]))?.hostnames, []);
    assert.deepEqual(byMac.get(hex(macs[3]))?.hostnames, []);
    assert.ok(![...byMac.values()].some((d) => d.hostnames.includes('EVIL')), 'no device named by a remote sender');
    assert.equal(r.summary.protocols['netbios.registration'], 3);
    assert.equal(r.summary.protocols['dhcp.request'], 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
