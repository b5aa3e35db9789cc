/**
 * Detector `bruteforce`: one source repeatedly trying to log in to one service — telnet,
 * SSH, FTP or HTTP basic auth — within a time window. The services are recognised by their
 * parsers on any port, by banner and handshake, not by port number: SSH by its
 * identification line (protocols/ssh.ts), telnet by IAC negotiation, FTP by its 220 greeting
 * and USER/PASS. Connections are counted per flow the parsers recognised; login attempts are
 * the clear-text ones (telnet and FTP login_attempt messages, HTTP Authorization: Basic, with
 * the credentials quoted) and, for SSH, whose authentication is encrypted, the connections
 * that look like one: both sides finished the key exchange, then a short encrypted exchange
 * (at most SSH_AUTH_MAX_CHUNKS chunks and SSH_AUTH_MAX_BYTES bytes each way), then close.
 * The evidence calls those "likely login attempts": a successful short session
 * (`ssh host true`) has the same shape. Credentials from Mirai's public default list are
 * flagged (data/mirai-credentials.ts).
 *
 * Device: the source (an infected device brute-forcing others is what we want to find).
 * Signatures (9100700+): 0 telnet, 1 SSH, 2 FTP, 3 HTTP basic auth, 4 successful telnet
 * login with a Mirai default credential.
 */
import type { AlertInput, DetectorOf, DetectorContext, ProtocolMessage } from '../events/detector.js';
import type { FlowView } from '../events/flow.js';
import { Category, LruMap, SidBase, clip, deviceOf } from './common.js';
import { isMiraiCredential } from './data/mirai-credentials.js';

export const BRUTEFORCE_DETECTOR = 'bruteforce';
const SID = SidBase.bruteforce;

type Service = 'telnet' | 'ssh' | 'ftp' | 'http';
const SERVICE_OFFSET: Record<Service, number> = { telnet: 0, ssh: 1, ftp: 2, http: 3 };
const MAX_CREDS = 10;
/**
 * The encrypted exchange of a failed SSH password login (measured on OpenSSH 9 with sshpass:
 * service request, "none" and "password" requests, the refusals, the disconnect) is 4–8
 * chunks and under 1 KB each way; an interactive or command session goes beyond these.
 */
export const SSH_AUTH_MAX_CHUNKS = 16;
export const SSH_AUTH_MAX_BYTES = 4096;
/** flow.userData key: the flow was already counted as a connection. */
const COUNTED = 'bruteforce.counted';

export interface BruteforceOptions {
  windowUs?: number;
  /** Login attempts (clear-text, or likely SSH ones) within the window. */
  attemptThreshold?: number;
  maxPairs?: number;
}

interface PairState {
  service: Service;
  srcIp: string;
  srcMac: string;
  dstIp: string;
  dstPort: number;
  windowStart: number;
  connections: number;
  attempts: number;
  failures: number;
  creds: string[];
  mirai: number;
  success: string;
  software: string;
  lastAlertUs: number;
}

/** Did this SSH connection look like one login attempt (key exchange, short encrypted exchange, close)? */
export function sshLoginShape(f: ProtocolMessage<'ssh'>['fields']): boolean {
  return f.kexDone && f.clientChunks > 0 && f.clientChunks <= SSH_AUTH_MAX_CHUNKS && f.serverChunks <= SSH_AUTH_MAX_CHUNKS &&
    f.clientBytes <= SSH_AUTH_MAX_BYTES && f.serverBytes <= SSH_AUTH_MAX_BYTES;
}

export function createBruteforceDetector(opts: BruteforceOptions = {}): DetectorOf<'telnet' | 'ftp' | 'ssh' | 'http'> {
  const windowUs = opts.windowUs ?? 300_000_000;
  const attemptThreshold = opts.attemptThreshold ?? 5;
  const pairs = new LruMap<string, PairState>(opts.maxPairs ?? 20000);

  function pairFor(service: Service, flow: FlowView, tsUs: number): PairState {
    const key = `${service}|${flow.clientIp}|${flow.serverIp}|${flow.serverPort}`;
    let p = pairs.get(key);
    if (!p) {
      p = {
        service, srcIp: flow.clientIp, srcMac: flow.clientMac, dstIp: flow.serverIp, dstPort: flow.serverPort, windowStart: tsUs,
        connections: 0, attempts: 0, failures: 0, creds: [], mirai: 0, success: '', software: '', lastAlertUs: -Infinity,
      };
      pairs.set(key, p);
    }
    if (tsUs - p.windowStart > windowUs && tsUs - p.lastAlertUs > windowUs) {
      p.windowStart = tsUs;
      p.connections = p.attempts = p.failures = p.mirai = 0;
      p.creds = [];
    }
    // One connection per flow, whatever the number of messages it carries.
    if (flow.userData.get(COUNTED) === undefined) {
      flow.userData.set(COUNTED, true);
      p.connections++;
    }
    return p;
  }

  function note(p: PairState, user: string, pass: string): void {
    p.attempts++;
    const c = `${clip(user, 40)}:${clip(pass, 40)}`;
    if (p.creds.length < MAX_CREDS && !p.creds.includes(c)) p.creds.push(c);
    if (p.service === 'telnet' && isMiraiCredential(user, pass)) p.mirai++;
  }

  function check(p: PairState, flow: FlowView | null, tsUs: number, ctx: DetectorContext): void {
    if (tsUs - p.lastAlertUs < windowUs) return;
    // Connections alone never alert: a monitor polling an SSH port opens many.
    if (p.attempts < attemptThreshold) return;
    p.lastAlertUs = tsUs;
    const what = { telnet: 'telnet', ssh: 'SSH', ftp: 'FTP', http: 'HTTP basic-auth' }[p.service];
    const ssh = p.service === 'ssh';
    const evidence: Record<string, unknown> = {
      service: p.service, target: `${p.dstIp}:${p.dstPort}`, windowS: Math.round(windowUs / 1e6), connections: p.connections,
      ...(ssh
        ? { likelyLoginAttempts: p.attempts, note: 'SSH authentication is encrypted: a likely login attempt is a connection that finished the key exchange, then a short encrypted exchange, then closed' }
        : { loginAttempts: p.attempts }),
      ...(p.software ? { serverSoftware: p.software } : {}),
      ...(p.failures ? { failedLogins: p.failures } : {}), ...(p.creds.length ? { credentials: p.creds } : {}),
      ...(p.creds.length === MAX_CREDS && p.attempts > MAX_CREDS ? { credentialsCut: `the first ${MAX_CREDS} distinct of ${p.attempts} attempts` } : {}),
      ...(p.mirai ? { miraiDefaultCredentials: p.mirai, note: "credentials match Mirai's public default list" } : {}),
      ...(p.success ? { successfulLogin: p.success } : {}),
    };
    const a: AlertInput = {
      detector: BRUTEFORCE_DETECTOR, signatureId: SID + SERVICE_OFFSET[p.service],
      signature: `MINEWATCH BRUTEFORCE ${what} login brute force from ${p.srcIp} to ${p.dstIp}:${p.dstPort}${p.mirai ? ' (Mirai default credentials)' : ''}`,
      category: Category.ADMIN_GAIN, severity: p.mirai || p.success ? 1 : 2, evidence,
      device: p.srcMac ? { mac: p.srcMac, ip: p.srcIp, id: p.srcMac } : { ip: p.srcIp, id: p.srcIp },
      srcIp: p.srcIp, destIp: p.dstIp, destPort: p.dstPort, proto: 'TCP', tsUs,
      dedupKey: `${BRUTEFORCE_DETECTOR}:${p.service}:${p.srcIp}:${p.dstIp}`,
    };
    ctx.emit(flow, a);
  }

  return {
    id: BRUTEFORCE_DETECTOR,
    // clear-text login attempts, SSH connection shapes, and HTTP requests for basic-auth guessing
    protocols: ['telnet', 'ftp', 'ssh', 'http'],
    onMessage(msg: ProtocolMessage<'telnet' | 'ftp' | 'ssh' | 'http'>, flow: FlowView, ctx: DetectorContext): void {
      if (msg.protocol === 'ssh') {
        const p = pairFor('ssh', flow, msg.tsUs);
        if (msg.fields.serverSoftware) p.software = clip(msg.fields.serverSoftware, 80);
        if (sshLoginShape(msg.fields)) p.attempts++;
        check(p, flow, msg.tsUs, ctx);
        return;
      }
      if ((msg.protocol === 'telnet' || msg.protocol === 'ftp') && msg.kind === 'login_attempt') {
        const f = msg.fields;
        const p = pairFor(msg.protocol, flow, msg.tsUs);
        note(p, f.username, f.password);
        if (f.success === false) p.failures++;
        if (f.success === true && msg.protocol === 'telnet' && isMiraiCredential(f.username, f.password)) {
          p.success = `${clip(f.username, 40)}:${clip(f.password, 40)}`;
          ctx.emit(flow, {
            detector: BRUTEFORCE_DETECTOR, signatureId: SID + 4,
            signature: `MINEWATCH BRUTEFORCE successful telnet login to ${flow.serverIp} with Mirai default credential ${p.success}`,
            category: Category.ADMIN_GAIN, severity: 1,
            evidence: { username: f.username, password: f.password, attemptsBefore: p.attempts - 1, target: `${flow.serverIp}:${flow.serverPort}`, note: "credential is on Mirai's public default list: the target device is likely compromised" },
            // The device that now needs cleaning is the one logged into.
            device: deviceOf(flow, 1), appProto: 'telnet', dedupKey: `${BRUTEFORCE_DETECTOR}:mirai-success`,
          });
        } else if (f.success === true) p.success = `${clip(f.username, 40)}:${clip(f.password, 40)}`;
        check(p, flow, msg.tsUs, ctx);
        return;
      }
      if (msg.protocol === 'http' && msg.kind === 'request') {
        const auth = msg.fields.headers.find(([k]) => k.toLowerCase() === 'authorization');
        if (!auth || !/^basic\s+/i.test(auth[1])) return;
        const decoded = Buffer.from(auth[1].replace(/^basic\s+/i, '').trim().slice(0, 512), 'base64').toString('latin1');
        const colon = decoded.indexOf(':');
        const p = pairFor('http', flow, msg.tsUs);
        note(p, colon >= 0 ? decoded.slice(0, colon) : decoded, colon >= 0 ? decoded.slice(colon + 1) : '');
        check(p, flow, msg.tsUs, ctx);
      }
    },
  };
}
