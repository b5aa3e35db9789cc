/**
 * RuleDetector: runs loaded Suricata-subset rules inside the pipeline.
 * - onPacket: raw `content` (no sticky buffer) against the packet payload. Per-packet
 *   matching: content spanning TCP segment boundaries is not seen (documented limitation).
 * - onMessage: sticky buffers from parsed messages (dns.query, tls.sni, http.*, file.data).
 * Hits become EVE alerts with detector 'rule', the rule's sid/rev/msg, the classtype's
 * description as category, its priority as severity, and the matched bytes as evidence.
 */
import type { Detector, DetectorContext, ProtocolMessage } from '../events/detector.js';
import type { FlowView } from '../events/flow.js';
import type { PacketView } from '../events/packet.js';
import { limitEvidence } from '../events/eve-format.js';
import { formatIpv4 } from '../util/ip.js';
import type { BufferName, Rule, RuleContext } from './parser.js';
import { appClassOf, createMatchMeta, RuleEngine, type MatchMeta, type RuleEngineOptions, type RuleHit } from './matcher.js';

export const RULE_DETECTOR_ID = 'rule';

/** lastFlowGroup: not known yet (packetGroupOf returns a group ≥ 0 or -1). */
const NO_GROUP = -2;

/**
 * Suricata's `app-layer.protocols.tls.encryption-handling`: 'default' stops raw-content
 * (packet) rules on a TLS flow once its handshake is done, as Suricata does by default
 * (ciphertext cannot hold a rule's plain-text content, and scanning it costs the most
 * packets of any flow); 'full' keeps inspecting every packet. tls.* and other sticky-buffer
 * rules are unaffected either way.
 */
export type EncryptionHandling = 'default' | 'full';

export interface RuleDetectorOptions extends RuleEngineOptions {
  /** Default 'default' (Suricata's default). */
  encryptionHandling?: EncryptionHandling;
}

interface FlowRuleState { bits: Set<string>; app: string; encrypted: boolean }

/** Did the flow's TLS handshake finish (a 'handshake_done' message was seen)? */
function handshakeDone(flow: FlowView): boolean {
  return (flow.userData.get(RULE_DETECTOR_ID) as FlowRuleState | undefined)?.encrypted === true;
}

function flowState(flow: FlowView): FlowRuleState {
  let st = flow.userData.get(RULE_DETECTOR_ID) as FlowRuleState | undefined;
  if (!st) {
    st = { bits: new Set(), app: '', encrypted: false };
    flow.userData.set(RULE_DETECTOR_ID, st);
  }
  return st;
}

/** Suricata's 'established': TCP after the handshake; UDP once both sides have sent. */
function flowEstablished(flow: FlowView): boolean {
  return flow.proto === 6
    ? flow.state === 'established' || flow.handshakeSeen
    : flow.pktsToServer > 0 && flow.pktsToClient > 0;
}

function text(s: unknown): Uint8Array | null {
  return typeof s === 'string' && s.length > 0 ? Buffer.from(s, 'utf8') : null;
}

/** Parser output is trusted in shape but checked anyway: a malformed entry is skipped, never thrown on. */
function headerList(h: unknown): [string, string][] {
  if (!Array.isArray(h)) return [];
  return h.filter((e): e is [string, string] => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'string');
}

function headerBuffers(headers: readonly [string, string][], firstLine: string): { header: Uint8Array; names: Uint8Array; start: Uint8Array } {
  let header = '';
  let names = '\r\n';
  for (const [k, v] of headers) {
    header += `${k}: ${v}\r\n`;
    names += `${k}\r\n`;
  }
  names += '\r\n';
  return {
    header: Buffer.from(header, 'utf8'),
    names: Buffer.from(names, 'utf8'),
    start: Buffer.from(`${firstLine}\r\n${header}\r\n`, 'utf8'),
  };
}

function httpVersion(v: unknown): string {
  const s = typeof v === 'string' && v ? v : '1.1';
  return s.startsWith('HTTP/') ? s : `HTTP/${s}`;
}

export class RuleDetector implements Detector {
  readonly id = RULE_DETECTOR_ID;
  readonly engine: RuleEngine;
  private readonly meta: MatchMeta = createMatchMeta();
  private readonly packetRules: boolean;
  private readonly usesFlowbits: boolean;
  /** Some packet rule is app-gated (alert http|tls|dns with raw content): flows remember their protocol. */
  private readonly tracksApp: boolean;
  /** Per message context, the buffers some rule reads: only those are built per message. */
  private readonly usedBuffers: Map<RuleContext, Set<BufferName>>;
  /** Per context, whether any rule reads the reconstructed header buffers (costly to build). */
  private readonly needHeaders: Record<'http-request' | 'http-response', boolean>;
  /**
   * What the fast path learnt about the flow whose packet came last (packets of one flow
   * come in runs): its app class (-1 = not looked up), and per direction its packet group
   * once that can no longer change (TCP after the handshake, UDP once both sides sent:
   * "established" then holds for good). Dropped when the flow ends (its record is then
   * reused for another flow); the app class also when a message sets the flow's protocol.
   */
  private lastFlow: FlowView | null = null;
  private lastFlowApp = -1;
  private readonly lastFlowGroup = new Int32Array(2);
  /** The last flow's TLS handshake is done: its packets are not scanned (encryption handling 'default'). */
  private lastFlowEncrypted = false;
  /** Stop raw-content rules on TLS flows after their handshake (encryption handling 'default'). */
  private readonly skipEncrypted: boolean;

  constructor(rules: readonly Rule[] | RuleEngine, options: RuleDetectorOptions = {}) {
    this.engine = rules instanceof RuleEngine ? rules : new RuleEngine(rules, options);
    this.skipEncrypted = (options.encryptionHandling ?? 'default') === 'default';
    this.packetRules = this.engine.hasRules('packet');
    this.usesFlowbits = this.engine.rules.some((r) => r.flowbits.length > 0);
    this.tracksApp = this.engine.rules.some((r) => r.context === 'packet' && (r.proto === 'http' || r.proto === 'tls' || r.proto === 'dns'));
    this.usedBuffers = new Map((['dns', 'tls', 'http-request', 'http-response'] as const).map((c) => [c, new Set(this.engine.buffersUsed(c))]));
    const headerish = (ctx: RuleContext): boolean => this.engine.buffersUsed(ctx).some((b) => b === 'http.header' || b === 'http.header_names' || b === 'http.start');
    this.needHeaders = { 'http-request': headerish('http-request'), 'http-response': headerish('http-response') };
  }

  /** Everything the prefilter reads (direction, state, protocols); cheap, no strings built. */
  private fillGroupMeta(flow: FlowView | null, dir: 0 | 1, tsUs: number, pkt: PacketView | null): void {
    const m = this.meta;
    m.tsUs = tsUs;
    m.dir = dir;
    if (flow) {
      m.proto = flow.proto;
      m.serverPort = flow.serverPort;
      m.established = flowEstablished(flow);
      // Per-flow state only when a rule needs flowbits or a message identified the protocol:
      // plain packet matching allocates nothing per flow.
      const st = this.usesFlowbits ? flowState(flow) : (flow.userData.get(RULE_DETECTOR_ID) as FlowRuleState | undefined);
      m.flowbits = st ? st.bits : null;
      m.appProto = st ? st.app : '';
    } else if (pkt) {
      m.proto = pkt.proto;
      m.serverPort = pkt.dstPort;
      m.established = false;
      m.flowbits = null;
      m.appProto = '';
    }
  }

  /** Addresses and ports, needed only once the prefilter found candidates. */
  private fillAddressMeta(flow: FlowView | null, dir: 0 | 1, pkt: PacketView | null): void {
    const m = this.meta;
    if (flow) {
      const toServer = dir === 0;
      m.srcIp = toServer ? flow.clientIp : flow.serverIp;
      m.dstIp = toServer ? flow.serverIp : flow.clientIp;
      m.srcPort = toServer ? flow.clientPort : flow.serverPort;
      m.dstPort = toServer ? flow.serverPort : flow.clientPort;
    } else if (pkt) {
      m.srcIp = pkt.ipVersion === 4 ? formatIpv4(pkt.src4 >>> 0) : '';
      m.dstIp = pkt.ipVersion === 4 ? formatIpv4(pkt.dst4 >>> 0) : '';
      m.srcPort = pkt.srcPort;
      m.dstPort = pkt.dstPort;
    }
  }

  private fillMeta(flow: FlowView | null, dir: 0 | 1, tsUs: number, pkt: PacketView | null): void {
    this.fillGroupMeta(flow, dir, tsUs, pkt);
    this.fillAddressMeta(flow, dir, pkt);
  }

  onPacket(pkt: PacketView, flow: FlowView | null, ctx: DetectorContext): void {
    if (!this.packetRules || pkt.payloadLength === 0) return;
    const e = this.engine;
    if (e.groupsPacketRules) {
      // Fast path: group from direction, state and protocol; the app class (a per-flow map
      // lookup) only when app-gated rules exist in that group, both kept for the last flow
      // (see lastFlow); metadata only for candidates.
      const dir = flow ? flow.lastDir : 0;
      let g: number;
      if (flow === null) g = e.packetGroupOf(0, false, pkt.proto);
      else {
        if (flow !== this.lastFlow) this.resetLastFlow(flow);
        if (this.lastFlowEncrypted) return;
        g = this.lastFlowGroup[dir];
        if (g === NO_GROUP) {
          const established = flowEstablished(flow);
          g = e.packetGroupOf(dir, established, flow.proto);
          if (flow.proto === 6 ? flow.handshakeSeen : established) this.lastFlowGroup[dir] = g;
        }
      }
      if (g < 0) return;
      let app = 0;
      if (e.packetGroupGated(g)) {
        if (flow === null) app = appClassOf('', pkt.dstPort);
        else {
          if (this.lastFlowApp < 0) {
            const st = flow.userData.get(RULE_DETECTOR_ID) as FlowRuleState | undefined;
            this.lastFlowApp = appClassOf(st ? st.app : '', flow.serverPort);
          }
          app = this.lastFlowApp;
        }
      }
      const start = pkt.payloadOffset;
      const end = start + pkt.payloadLength;
      if (e.prefilterPacket(g, app, pkt.buf, start, end) === 0) return;
      e.clearSlots();
      e.setPacketSlot(pkt.buf, start, end);
      this.fillMeta(flow, dir, pkt.tsUs, pkt);
      const hits = e.evaluateCandidates(this.meta);
      if (hits.length > 0) this.emitHits(hits, flow, ctx, pkt.tsUs);
      return;
    }
    if (flow && this.skipEncrypted && handshakeDone(flow)) return;
    // Group check before any buffer or metadata work: e.g. to_client payloads when only
    // to_server rules are loaded stop here.
    if (flow ? !e.packetMayMatch(flow.lastDir, flowEstablished(flow), flow.proto) : !e.packetMayMatch(0, false, pkt.proto)) return;
    e.clearSlots();
    e.setSlot('pkt', pkt.buf, pkt.payloadOffset, pkt.payloadOffset + pkt.payloadLength);
    const dir = flow ? flow.lastDir : 0;
    this.fillGroupMeta(flow, dir, pkt.tsUs, pkt);
    if (e.prefilter('packet', this.meta) === 0) return;
    this.fillAddressMeta(flow, dir, pkt);
    const hits = e.evaluateCandidates(this.meta);
    if (hits.length > 0) this.emitHits(hits, flow, ctx, pkt.tsUs);
  }

  onFlowEnd(flow: FlowView): void {
    if (this.lastFlow === flow) this.lastFlow = null;
  }

  /** Starts remembering flow (nothing known about it yet). */
  private resetLastFlow(flow: FlowView): void {
    this.lastFlow = flow;
    this.lastFlowApp = -1;
    this.lastFlowGroup[0] = NO_GROUP;
    this.lastFlowGroup[1] = NO_GROUP;
    this.lastFlowEncrypted = this.skipEncrypted && handshakeDone(flow);
  }

  onMessage(msg: ProtocolMessage, flow: FlowView, ctx: DetectorContext): void {
    if (msg.protocol === 'tls' && msg.kind === 'handshake_done') {
      if (this.skipEncrypted && this.packetRules) {
        flowState(flow).encrypted = true;
        if (this.lastFlow === flow) this.lastFlowEncrypted = true;
      }
      return;
    }
    // The flow's protocol matters only to app-gated packet rules; without them no per-flow
    // state is created here (fillMeta creates it when flowbits need it).
    if (this.tracksApp && (msg.protocol === 'dns' || msg.protocol === 'tls' || msg.protocol === 'http')) {
      const st = flowState(flow);
      if (st.app === '') {
        st.app = msg.protocol;
        if (this.lastFlow === flow) this.lastFlowApp = -1;
      }
    }
    const context = this.loadMessage(msg);
    if (context === null || !this.engine.hasRules(context)) return;
    // Prefilter first: address strings only for messages with candidates.
    this.fillGroupMeta(flow, msg.dir, msg.tsUs, null);
    if (this.engine.prefilter(context, this.meta) === 0) return;
    this.fillAddressMeta(flow, msg.dir, null);
    const hits = this.engine.evaluateCandidates(this.meta);
    if (hits.length > 0) this.emitHits(hits, flow, ctx, msg.tsUs);
  }

  /** Fill buffer slots from a message; returns the rule context or null if none applies. */
  private loadMessage(msg: ProtocolMessage): RuleContext | null {
    const e = this.engine;
    e.clearSlots();
    if (msg.protocol === 'dns') {
      if (msg.fields.response || !this.engine.hasRules('dns')) return null;
      e.setSlot('dns.query', text(msg.fields.qname));
      return 'dns';
    }
    if (msg.protocol === 'tls' && msg.kind === 'client_hello') {
      if (!this.engine.hasRules('tls')) return null;
      e.setSlot('tls.sni', text(msg.fields.sni));
      return 'tls';
    }
    if (msg.protocol === 'http' && msg.kind === 'request') {
      if (!this.engine.hasRules('http-request')) return null;
      const r = msg.fields;
      const used = this.usedBuffers.get('http-request')!;
      const headers = headerList(r.headers);
      // Only buffers some rule reads are built (a buffer no rule reads is never looked at).
      if (used.has('http.uri')) e.setSlot('http.uri', text(r.uri));
      if (used.has('http.method')) e.setSlot('http.method', text(r.method));
      if (used.has('http.host')) e.setSlot('http.host', text(r.host));
      if (used.has('http.user_agent')) e.setSlot('http.user_agent', text(r.userAgent));
      if (used.has('http.cookie')) {
        const cookie = headers.find(([k]) => k.toLowerCase() === 'cookie');
        e.setSlot('http.cookie', cookie ? text(cookie[1]) : null);
      }
      if (used.has('http.request_body')) e.setSlot('http.request_body', r.body instanceof Uint8Array && r.body.length > 0 ? r.body : null);
      if (this.needHeaders['http-request']) {
        const h = headerBuffers(headers, `${r.method} ${r.uri} ${httpVersion(r.version)}`);
        e.setSlot('http.header', h.header);
        e.setSlot('http.header_names', h.names);
        e.setSlot('http.start', h.start);
      }
      return 'http-request';
    }
    if (msg.protocol === 'http' && msg.kind === 'response') {
      if (!this.engine.hasRules('http-response')) return null;
      const r = msg.fields;
      const headers = headerList(r.headers);
      const used = this.usedBuffers.get('http-response')!;
      if (used.has('http.stat_code')) e.setSlot('http.stat_code', text(String(r.status)));
      if (used.has('file.data')) e.setSlot('file.data', r.body instanceof Uint8Array && r.body.length > 0 ? r.body : null);
      if (this.needHeaders['http-response']) {
        const h = headerBuffers(headers, `${httpVersion(r.version)} ${r.status}`);
        e.setSlot('http.header', h.header);
        e.setSlot('http.header_names', h.names);
        e.setSlot('http.start', h.start);
      }
      return 'http-response';
    }
    return null;
  }

  private emitHits(hits: RuleHit[], flow: FlowView | null, ctx: DetectorContext, tsUs: number): void {
    const m = this.meta;
    for (const { rule, evidence } of hits) {
      ctx.emit(flow, {
        detector: RULE_DETECTOR_ID,
        signatureId: rule.sid,
        signature: rule.msg,
        category: rule.category,
        severity: rule.priority,
        rev: rule.rev,
        evidence: limitEvidence(evidence),
        metadata: Object.keys(rule.metadata).length > 0 ? rule.metadata : undefined,
        appProto: rule.context === 'packet' ? undefined : rule.context.startsWith('http') ? 'http' : rule.context,
        dedupKey: `rule:${rule.gid}:${rule.sid}`,
        ...(rule.target ? { device: { ip: rule.target === 'src_ip' ? m.srcIp : m.dstIp } } : {}),
        ...(flow ? {} : { srcIp: m.srcIp, destIp: m.dstIp, srcPort: m.srcPort, destPort: m.dstPort, tsUs }),
      });
    }
  }
}
