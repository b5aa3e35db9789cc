/** Host records and contacts for the campaign tests (made up here; documentation address ranges). */
import { Contacts, ContactsFile, type ContactsFile as ContactsFileT } from '../../src/campaigns/contacts.js';
import { InfectedHost, type InfectedHostInput } from '../../src/campaigns/types.js';

const XMR = '44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A';

export const HOST_INPUT: InfectedHostInput[] = [
  {
    identity: { rule: 'ip-day', ip: '203.0.113.10', day: '2019-06-01' }, ip: '203.0.113.10', asn: 64500, asName: 'EXAMPLE-JP-NET', country: 'JP',
    firstSeen: '2019-06-01T03:00:00Z', lastSeen: '2019-06-01T21:15:30Z', detector: 'browser-miner', signatureId: 9000101, signature: 'Coinhive script injected into HTTP page',
    malware: 'Coinhive', evidence: { poolNames: [], poolAddresses: [], wallets: [], scriptUrls: ['http://coinhive.example/lib/coinhive.min.js'], notes: [] }, device: { type: 'router', vendor: 'MikroTik', model: 'hAP lite' },
  },
  {
    identity: { rule: 'ip-day', ip: '203.0.113.77', day: '2019-06-02' }, ip: '203.0.113.77', port: 51234, asn: 64500, asName: 'EXAMPLE-JP-NET', country: 'JP',
    firstSeen: '2019-06-02T01:00:00Z', lastSeen: '2019-06-02T02:00:00Z', detector: 'stratum', malware: 'xmrig',
    evidence: { poolNames: ['pool.minexmr.example'], poolAddresses: ['198.51.100.20:4444'], wallets: [XMR], scriptUrls: [], notes: ['login method seen'] },
  },
  {
    identity: { rule: 'device-id', deviceId: 'sensor-7/aa:bb:cc:00:11:22' }, ip: '2001:db8:5::42', asn: 64501, asName: 'EXAMPLE-ID', country: 'ID',
    firstSeen: '2019-06-03T10:00:00Z', lastSeen: '2019-06-05T10:00:00Z', detector: 'pool-dns', malware: 'xmrig',
    evidence: { poolNames: ['xmr.pool.example', "odd'name\\.example"], poolAddresses: ['[2001:db8:99::1]:3333', 'pool.other.example:5555'], wallets: ['1BoatSLRHtKNngkdXEeobR76b53LETtpyT', 'worker01'], scriptUrls: [], notes: [] },
    device: { type: 'camera' },
  },
  // same identity as the first: merged (earliest first, latest last, union of evidence)
  {
    identity: { rule: 'ip-day', ip: '203.0.113.10', day: '2019-06-01' }, ip: '203.0.113.10', asn: 64500, asName: 'EXAMPLE-JP-NET', country: 'JP',
    firstSeen: '2019-06-01T02:00:00Z', lastSeen: '2019-06-01T05:00:00Z', detector: 'browser-miner', malware: 'Coinhive',
    evidence: { poolNames: [], poolAddresses: [], wallets: [], scriptUrls: ['https://cdn.example/cryptonight.js?x=1&y="2"'], notes: [] },
  },
  // no CERT for BR, no AS contact for 64999
  {
    identity: { rule: 'ip-day', ip: '192.0.2.200', day: '2019-06-04' }, ip: '192.0.2.200', asn: 64999, country: 'BR',
    firstSeen: '2019-06-04T00:00:00Z', lastSeen: '2019-06-04T00:30:00Z', detector: 'pool-tls', malware: 'xmrig',
    evidence: { poolNames: ['gulf.moneroocean.example'], poolAddresses: [], wallets: [], scriptUrls: [], notes: [] },
  },
];

export function hosts(): InfectedHost[] {
  return HOST_INPUT.map((h) => InfectedHost.parse(h));
}

export const CONTACTS_JSON: ContactsFileT = {
  reporter: { org: 'Example Telemetry CERT', email: 'notify@cert.example.org', domain: 'cert.example.org' },
  certs: [
    { country: 'JP', name: 'JPCERT/CC (test)', email: 'jp-cert@example.jp', language: 'ja' },
    { country: 'ID', name: 'ID-SIRTII (test)', email: 'id-cert@example.id', language: 'id' },
  ],
  asAbuse: [
    { asn: 64500, name: 'Example JP ISP', email: 'abuse@isp.example.jp', language: 'ja' },
    { asn: 64501, name: 'Example ID ISP', email: 'abuse@isp.example.id', language: 'en' },
  ],
  owners: [],
};

export function contacts(): Contacts {
  return new Contacts(ContactsFile.parse(CONTACTS_JSON));
}
