import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { analyze } from '../../src/pipeline/analyze.js';
import { generateHome } from '../../src/synth/home.js';
import { generateSample } from '../../src/synth/sample.js';
import { Inventory, validateDeviceRules, classify, compileRules, readDeviceRules, lookupVendor, parseIeeeCsv, isLocallyAdministered, attributeDevice, type DeviceRulesFile } from '../../src/devices/index.js';
import type { FlowView } from '../../src/events/flow.js';
import { HAVE_SHARED_DATA, REPO_ROOT, SHARED_DATA, needSharedData, sharedFile } from '../helpers/shared-data.js';
import { evalGenerated, evalShared } from '../../bench/eval-devices.js';

const T = 1_700_000_000_000_000;

test('vendor from the IEEE registry package agrees with the IEEE CSV (MA-L), and MA-S/MA-M take precedence', { skip: needSharedData() }, () => {
  const csv = parseIeeeCsv(readFileSync(sharedFile('lists/ieee-oui-ma-l.csv'), 'utf8'));
  for (const mac of ['b8:27:eb:00:00:01', 'c4:61:8b:00:00:01', '4c:6a:f6:00:00:01', '18:b4:30:00:00:01']) {
    const key = mac.replace(/:/g, '').slice(0, 6).toUpperCase();
    assert.equal(lookupVendor(mac).toLowerCase(), csv[key].toLowerCase(), mac);
  }
  // a longest-prefix table: a 36-bit assignment beats its 24-bit IEEE RA block
  const t = { '70B3D5': 'IEEE Registration Authority', '70B3D5123': 'Small Maker' };
  assert.equal(lookupVendor('70:b3:d5:12:34:56', t), 'Small Maker');
  assert.equal(lookupVendor('70:b3:d5:99:34:56', t), 'IEEE Registration Authority');
  // every assignment of the package, looked up by a MAC inside it, gives the longest match's organisation
  const full = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('oui-data'), 'utf8')) as Record<string, string>;
  for (const k of Object.keys(full)) {
    const hex = k.padEnd(12, '0');
    const best = [hex.slice(0, 9), hex.slice(0, 7), hex.slice(0, 6)].find((x) => full[x] !== undefined)!;
    assert.equal(lookupVendor(hex), full[best].split('\n')[0].trim(), k);
  }
  assert.equal(isLocallyAdministered('da:a1:19:00:00:01'), true);
  assert.equal(isLocallyAdministered('d8:a1:19:00:00:01'), false);
});

test('each evidence source reaches the inventory from a generated home capture', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-dev-'));
  try {
    const file = join(dir, 'home.pcap');
    const { truth } = await generateHome({ seed: 7, rotations: 1 }, file);
    const { devices } = await analyze({ inputs: [file], workers: 1, progress: false });
    assert.ok(devices);
    const byHost = (h: string) => devices.find((d) => d.hostnames.includes(h))!;
    const pc = byHost('DESKTOP-7QK2M1N');
    assert.deepEqual(pc.vendorClasses, ['MSFT 5.0']); // option 60
    assert.deepEqual(pc.dhcpParams, ['1,3,6,15,31,33,43,44,46,47,119,121,249,252']); // option 55 in order
    assert.ok(pc.clientIds[0].startsWith('01')); // option 61
    assert.equal(pc.ttl, 128); // initial TTL from its SYN
    assert.ok(pc.addresses.some((a) => a.via === 'dhcp')); // lease from the ACK
    assert.ok(pc.userAgents[0].includes('Windows NT')); // HTTP user agent
    const printer = byHost('BRN3C2AF4123456');
    assert.ok(printer.mdnsServices.includes('_ipp._tcp')); // mDNS services
    assert.ok(printer.mdnsModels.includes('Brother HL-L2350DW'));
    assert.equal(printer.ttl, 255);
    const cam = byHost('IPC-frontdoor');
    assert.ok(cam.ssdp.some((s) => s.includes('Hikvision'))); // SSDP SERVER
    assert.match(cam.vendor, /hikvision/i); // OUI
    const router = devices.find((d) => d.macs.includes(truth.router))!;
    assert.ok(router.roles.includes('dhcp-server') && router.roles.includes('gateway'));
    assert.equal(router.type, 'router');
    // the remote web server's packets carry the router's MAC: its address is never the router's
    assert.ok(!router.ips.includes('203.0.113.80'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('real capture: DHCP lease, NDP and ARP addresses, mDNS name, router roles (Hide and Seek home)', { skip: needSharedData() }, async () => {
  const { devices } = await analyze({ inputs: [sharedFile('iot-malware/hide-and-seek-rpi-telnet-scan-p2p.pcap')], workers: 1, progress: false });
  const pi = devices!.find((d) => d.macs.includes('b8:27:eb:c7:e9:c9'))!;
  assert.equal(pi.type, 'iot');
  assert.match(pi.vendor, /Raspberry Pi/);
  assert.deepEqual(pi.hostnames, ['black-pearl']);
  assert.ok(pi.addresses.some((a) => a.ip === '192.168.2.16' && a.via === 'dhcp'));
  assert.ok(pi.addresses.some((a) => a.ip === 'fe80::ba27:ebff:fec7:e9c9' && a.via === 'ndp'));
  assert.ok(pi.mdnsServices.includes('_workstation._tcp'));
  const gw = devices!.find((d) => d.macs.includes('a6:d1:8c:1f:ce:64'))!;
  assert.ok(gw.addresses.some((a) => a.ip === '192.168.2.1' && a.via === 'arp'));
  assert.ok(gw.roles.includes('dhcp-server'));
  // none of the 137 Internet hosts the Pi scanned becomes a device or an address of one
  assert.ok(devices!.every((d) => d.ips.every((ip) => /^(192\.168\.|169\.254\.|fe80:)/.test(ip))));
});

test('ARP and NDP teach addresses; TLS fingerprints attach to the client', () => {
  const inv = new Inventory();
  inv.observeAddress('b8:27:eb:c7:e9:c9', '192.168.2.16', 'arp', T);
  inv.observeAddress('b8:27:eb:c7:e9:c9', 'fe80::ba27:ebff:fec7:e9c9', 'ndp', T + 1);
  inv.observeTls('b8:27:eb:c7:e9:c9', 'abc', 't13d1516h2_8daaf6152771_02713d6af862', T + 2);
  assert.equal(inv.macForIp('192.168.2.16'), 'b8:27:eb:c7:e9:c9');
  const d = inv.deviceAt('fe80::ba27:ebff:fec7:e9c9')!;
  assert.deepEqual(d.ips, ['192.168.2.16', 'fe80::ba27:ebff:fec7:e9c9']);
  assert.deepEqual(d.ja4, ['t13d1516h2_8daaf6152771_02713d6af862']);
  assert.equal(inv.isLocal('8.8.8.8'), false);
  assert.equal(new Inventory({ homeNets: ['100.64.0.0/10'] }).isLocal('100.64.1.2'), true);
});

test('a phone rotating its randomised MAC stays one device; two burned-in MACs with one name do not merge', () => {
  const inv = new Inventory();
  const dhcp = { hostname: 'Annas-iPhone', parameterList: [1, 121, 3, 6, 15, 108, 114, 119, 252, 95, 44, 46], vendorClass: '', clientId: '' };
  inv.observeDhcpClient('8a:11:22:33:44:55', { ...dhcp, clientId: '018a1122334455' }, T);
  inv.observeDhcpClient('b6:99:88:77:66:55', { ...dhcp, clientId: '01b69988776655' }, T + 1e9);
  inv.observeMdns('f2:00:00:00:00:01', { hostnames: ['Annas-iPhone.local'], serviceTypes: [], instances: [], model: '' }, T + 2e9);
  // same name, different option 55: not the same device
  inv.observeDhcpClient('9e:00:00:00:00:02', { ...dhcp, parameterList: [1, 3, 6] }, T + 3e9);
  inv.observeHostname('00:11:32:00:00:01', 'nas', T);
  inv.observeHostname('00:11:32:00:00:02', 'nas', T);
  const devices = inv.devices();
  const phone = devices.find((d) => d.macs.includes('8a:11:22:33:44:55'))!;
  assert.deepEqual(phone.macs, ['8a:11:22:33:44:55', 'b6:99:88:77:66:55', 'f2:00:00:00:00:01']);
  assert.equal(phone.randomized, true);
  assert.equal(phone.type, 'phone');
  assert.equal(devices.length, 4);
  // the id is stable: the same observations in another order give the same id
  const inv2 = new Inventory();
  inv2.importState(inv.exportState());
  assert.equal(inv2.deviceOfMac('b6:99:88:77:66:55')!.id, phone.id);
});

test('classifier: weights add up to a 0–100 score with reasons; below the threshold is unknown; user rules extend', () => {
  const file: DeviceRulesFile = { threshold: 50, rules: [
    { id: 'a', type: 'printer', weight: 30, reason: 'prints', match: { mdnsService: '^_ipp\\._tcp' } },
    { id: 'b', type: 'printer', weight: 30, reason: 'Brother', match: { vendor: 'brother' } },
    { id: 'c', type: 'nas', weight: 80, reason: 'nope', match: { vendor: 'synology', hostname: 'never' } },
  ] };
  const ev = { vendor: 'Brother Industries', hostnames: [], dhcpParams: [], vendorClasses: [], mdnsServices: ['_ipp._tcp'], mdnsModels: [], ssdp: [], userAgents: [], ja3: [], ja4: [], ttl: 0, roles: [], randomized: false };
  const set = compileRules([file]);
  const c = classify(ev, set);
  assert.equal(c.type, 'printer');
  assert.equal(c.score, 60);
  assert.deepEqual(c.reasons, ['prints (+30)', 'Brother (+30)']);
  const weak = classify({ ...ev, mdnsServices: [] }, set);
  assert.equal(weak.type, 'unknown');
  assert.equal(weak.guess, 'printer');
  assert.equal(weak.score, 30);
  assert.equal(classify({ ...ev, mdnsServices: Array(5).fill('_ipp._tcp'), vendor: 'brother brother' }, compileRules([{ rules: [...file.rules, { id: 'd', type: 'printer', weight: 90, reason: 'x', match: { vendor: 'brother' } }] }])).score, 100);
  // the shipped rules use user agents through ua-parser-js
  assert.equal(classify({ ...ev, vendor: '', mdnsServices: [], userAgents: ['Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Mobile Safari/537.36'] }).type, 'phone');
  // the shipped file (read at run time without zod) passes the schema, every rule has a unique id
  const shipped = validateDeviceRules(JSON.parse(readFileSync(join(REPO_ROOT, 'data', 'devices', 'rules.json'), 'utf8')));
  assert.notEqual(typeof shipped, 'string', String(shipped));
  const ids = (shipped as DeviceRulesFile).rules.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length);
  // a bad user rules file is a ConfigError naming the field
  const dir = mkdtempSync(join(tmpdir(), 'mw-rules-'));
  try {
    const bad = join(dir, 'r.json');
    writeFileSync(bad, JSON.stringify({ rules: [{ id: 'x', type: 'toaster', weight: 10, reason: 'r', match: { vendor: 'a' } }] }));
    assert.throws(() => readDeviceRules(bad), (e: Error) => e.name === 'ConfigError' && /rules\.0\.type/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('alert attribution: a remote attacker never gets the router MAC; a local device gets its device', () => {
  const inv = new Inventory();
  inv.observeAddress('b8:27:eb:c7:e9:c9', '192.168.2.16', 'dhcp', T);
  inv.observeHostname('b8:27:eb:c7:e9:c9', 'black-pearl', T);
  const flow = (clientIp: string, clientMac: string, serverIp: string, serverMac: string) => ({ clientIp, clientMac, serverIp, serverMac }) as unknown as FlowView;
  const alert = { detector: 'bruteforce', signatureId: 1, signature: 's', category: 'c', severity: 2 as const, evidence: {} };
  const remote = attributeDevice(inv, flow('45.33.32.156', 'e4:8d:8c:00:00:01', '192.168.2.16', 'b8:27:eb:c7:e9:c9'), alert)!;
  assert.deepEqual(remote, { ip: '45.33.32.156' });
  const local = attributeDevice(inv, flow('192.168.2.16', 'b8:27:eb:c7:e9:c9', '45.33.32.156', 'e4:8d:8c:00:00:01'), alert)!;
  assert.equal(local.mac, 'b8:27:eb:c7:e9:c9');
  assert.equal(local.type, 'iot');
  assert.match(local.vendor ?? '', /Raspberry/);
  assert.equal(local.name, 'black-pearl');
  assert.match(local.id ?? '', /^dev-[0-9a-f]{12}$/);
  // a local host not met before still gets a device (id and vendor), from its frame MAC
  const fresh = attributeDevice(inv, flow('192.168.2.50', '00:11:32:aa:bb:cc', '45.33.32.156', 'e4:8d:8c:00:00:01'), alert)!;
  assert.match(fresh.id ?? '', /^dev-/);
  assert.match(fresh.vendor ?? '', /Synology/);
});

test('alerts in EVE carry the device; an inbound scan from the Internet is not pinned on the router', { skip: needSharedData() }, async () => {
  const events: Record<string, unknown>[] = [];
  await analyze({ inputs: [sharedFile('iot-malware/hide-and-seek-rpi-telnet-scan-p2p.pcap')], workers: 1, progress: false, sink: { write: (e: Record<string, unknown>) => events.push(e) } as never });
  const alerts = events.filter((e) => e.event_type === 'alert') as { src_ip?: string; minewatch: { device?: { mac?: string; type?: string; ip?: string } } }[];
  assert.ok(alerts.length > 0);
  for (const a of alerts) {
    const dev = a.minewatch.device;
    if (dev?.ip === '192.168.2.16') assert.equal(dev.mac, 'b8:27:eb:c7:e9:c9');
    else if (dev?.ip && !/^(192\.168|10\.|172\.(1[6-9]|2\d|3[01])\.|fe80|169\.254)/.test(dev.ip)) assert.equal(dev.mac, undefined, `remote ${dev.ip} got a MAC`);
  }
});

test('1 and 2 workers give the same inventory (generated home, and the demo sample with its alerts)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-dev-w-'));
  try {
    const file = join(dir, 'home.pcap');
    await generateHome({ seed: 3 }, file);
    const one = await analyze({ inputs: [file], workers: 1, progress: false });
    const two = await analyze({ inputs: [file], workers: 2, progress: false });
    assert.equal(two.summary.workers, 2);
    assert.ok((one.devices ?? []).length >= 16);
    assert.deepEqual(two.devices, one.devices);
    const sample = join(dir, 'sample.pcap');
    await generateSample({ seed: 1, startUs: Date.UTC(2026, 0, 5) * 1000 }, sample);
    const s1 = await analyze({ inputs: [sample], workers: 1, progress: false });
    const s2 = await analyze({ inputs: [sample], workers: 2, progress: false });
    assert.ok(s1.alerts.length > 0 && (s1.devices ?? []).length >= 8);
    assert.deepEqual(s2.devices, s1.devices);
    assert.deepEqual([...s2.deviceAlerts!].sort(), [...s1.deviceAlerts!].sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('accuracy floor on generated homes (≥ 90 %, no split by MAC rotation)', async () => {
  const r = await evalGenerated([11, 12]);
  assert.equal(r.splits, 0, r.misses.join('\n'));
  assert.ok(r.right / r.labelled >= 0.9, `${r.right}/${r.labelled}: ${r.misses.join('; ')}`);
});

test('accuracy floor on the shared captures (≥ 90 % of labelled devices)', async (t) => {
  if (!HAVE_SHARED_DATA) {
    console.warn('SKIP: ../shared/data not found — shared-capture device accuracy not checked');
    t.skip('shared data missing');
    return;
  }
  const r = (await evalShared(SHARED_DATA))!;
  assert.ok(r.labelled >= 10);
  assert.ok(r.right / r.labelled >= 0.9, `${r.right}/${r.labelled}: ${r.misses.join('; ')}`);
});
