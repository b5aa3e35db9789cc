/**
 * The one registry of components: every protocol parser and every built-in detector, in one
 * list, in the order they run (parsers: the order they are offered a new flow, most specific
 * first; detectors: the order they see each packet and message). Like Suricata's one function
 * that registers its app-layer parsers, adding a parser or detector touches one line here.
 *
 * The list is data plus small `create` functions over modules loaded later: it imports
 * nothing at run time (only types), so the command line checks `--detectors`/`--parsers`
 * against PARSER_IDS/DETECTOR_IDS without loading a parser or detector, and a run loads
 * protocols/ and detect/ only when detection is on (pipeline/analyzers.ts).
 *
 * Every id list is derived from this list. What the compiler holds together:
 * - a parser's id is a protocol id of the message contract (events/messages.ts), and every
 *   protocol of the contract has a parser here;
 * - a detector entry lists the protocols its detector reads, and `create` must return a
 *   detector of (at most) those protocols, whose onMessage takes only their messages.
 */
import type { ReasonCounter } from '../events/counters.js';
import type { Detector, DetectorContext } from '../events/detector.js';
import type { FlowView } from '../events/flow.js';
import type { HostIntel } from '../events/intel.js';
import type { ProtocolId, ProtocolMessage } from '../events/messages.js';
import type { StreamConsumer } from '../events/stream.js';

/** The modules the create functions draw on (loaded once, when detection runs). */
export interface ComponentModules {
  protocols: typeof import('../protocols/index.js');
  detect: typeof import('../detect/index.js');
  devices: typeof import('../devices/index.js');
}

/** A stream consumer with its counters, as every parser of protocols/ is. */
export type ParserInstance = StreamConsumer & { readonly malformed?: ReasonCounter; readonly stats?: ReasonCounter };

export interface ParserSettings {
  /** Which HTTP response bodies to keep and decode, by Content-Type (default all). */
  keepResponseBody?: (contentType: string) => boolean;
}

/** What the detectors of one pipeline share: lists, caches, the active prober. */
export interface DetectorShared {
  intel: HostIntel;
  dnsCache: InstanceType<ComponentModules['detect']['DnsAnswerCache']>;
  hostPairs: InstanceType<ComponentModules['detect']['MiningHostPairs']>;
  /** Active confirmation of a suspected pool (only with probing on). */
  onSuspect?: (flow: FlowView, score: number, ctx: DetectorContext) => void;
  /** The device inventory's settings (home networks, classification rules). */
  inventory?: import('../devices/index.js').InventoryOptions;
  /** Behaviour baselines per device (the sensor turns them on; off: undefined). */
  baselines?: import('../devices/index.js').BaselineOptions;
  /** The baselines' country of a remote address (injected: the pipeline opens the geo database). */
  baselineCountry?: import('../devices/index.js').CountryLookup;
}

export interface ParserComponent<Id extends ProtocolId = ProtocolId> {
  readonly role: 'parser';
  /** The parser's id, also the `protocol` of every message it emits. */
  readonly id: Id;
  create(m: ComponentModules, sink: (flow: FlowView, msg: ProtocolMessage) => void, settings: ParserSettings): ParserInstance;
}

export interface DetectorComponent<Id extends string = string, P extends ProtocolId = ProtocolId> {
  readonly role: 'detector';
  /** The detector's id (the `minewatch.detector` of its alerts). */
  readonly id: Id;
  /** The protocols whose messages it reads (none: packets, bursts or flow ends only). */
  readonly protocols: readonly P[];
  /** 'source': host-level state; with workers it sees the packets from the hosts its worker owns and the answers to them (Detector.answers). */
  readonly partition: 'flow' | 'source';
  /** The HTTP response bodies it reads, by Content-Type (the HTTP parser keeps only what some running detector reads). */
  responseBodies?(m: ComponentModules): (contentType: string) => boolean;
  /** Builds the detector; it must read (at most) the protocols listed here, and say so in its own `protocols`. */
  create(m: ComponentModules, shared: DetectorShared): DetectorReading<P>;
}

/** A detector whose `protocols` and `onMessage` are (at most) P's. */
export type DetectorReading<P extends ProtocolId> = Detector & { readonly protocols?: readonly P[]; onMessage?(msg: ProtocolMessage<P>, flow: FlowView, ctx: DetectorContext): void };

export type Component = ParserComponent | DetectorComponent;

export function defineParser<const Id extends ProtocolId>(id: Id, create: ParserComponent<Id>['create']): ParserComponent<Id> {
  return { role: 'parser', id, create };
}

/** P comes from `protocols` alone (NoInfer): `create` must then return a detector of exactly those. */
export function defineDetector<const Id extends string, const P extends ProtocolId = never>(
  c: Omit<DetectorComponent<Id, P>, 'role' | 'partition' | 'create'> & { partition?: 'flow' | 'source'; create(m: ComponentModules, shared: DetectorShared): DetectorReading<NoInfer<P>> },
): DetectorComponent<Id, P> {
  return { role: 'detector', partition: 'flow', ...c };
}

/** Every component, parsers first. */
export const COMPONENTS = [
  // Parsers, most specific first: mDNS, DHCP and SSDP claim their ports before the DNS content
  // heuristic, TLS before HTTP; Stratum on any port after them.
  defineParser('mdns', (m, sink) => m.protocols.createMdnsConsumer(sink)),
  defineParser('dhcp', (m, sink) => m.protocols.createDhcpConsumer(sink)),
  defineParser('ssdp', (m, sink) => m.protocols.createSsdpConsumer(sink)),
  defineParser('netbios', (m, sink) => m.protocols.createNetbiosConsumer(sink)),
  defineParser('dns', (m, sink) => m.protocols.createDnsConsumer(sink)),
  defineParser('tls', (m, sink) => m.protocols.createTlsConsumer(sink)),
  defineParser('http', (m, sink, s) => m.protocols.createHttpConsumer(sink, s.keepResponseBody ? { keepResponseBody: s.keepResponseBody } : {})),
  defineParser('stratum', (m, sink) => m.protocols.createStratumConsumer(sink)),
  defineParser('telnet', (m, sink) => m.protocols.createTelnetConsumer(sink)),
  defineParser('ftp', (m, sink) => m.protocols.createFtpConsumer(sink)),
  defineParser('ssh', (m, sink) => m.protocols.createSshConsumer(sink)),
  defineParser('redis', (m, sink) => m.protocols.createRedisConsumer(sink)),
  // Detectors. The device inventory first, so the alerts of a packet see what it taught.
  defineDetector({ id: 'devices', protocols: ['dhcp', 'mdns', 'ssdp', 'netbios', 'http', 'tls'], create: (m, s) => m.devices.createDeviceObserver(new m.devices.Inventory(s.inventory), s.baselines ? new m.devices.Baselines(s.baselines, { country: s.baselineCountry }) : undefined) }),
  // Order matters in one place: stratum runs before mining-encrypted, so a flow
  // already identified in clear text is not scored again as "encrypted".
  defineDetector({ id: 'stratum', protocols: ['stratum', 'http'], create: (m, s) => m.detect.createStratumDetector({ intel: s.intel, dnsCache: s.dnsCache, hostPairs: s.hostPairs }) }),
  defineDetector({ id: 'pool-dns', protocols: ['dns'], create: (m, s) => m.detect.createPoolDnsDetector({ intel: s.intel, dnsCache: s.dnsCache }) }),
  defineDetector({ id: 'pool-tls', protocols: ['tls'], create: (m, s) => m.detect.createPoolTlsDetector({ intel: s.intel, dnsCache: s.dnsCache }) }),
  // after stratum (a readable session is reported there); TLS flows are pool-tls's, HTTP to a listed host pool-http's
  defineDetector({ id: 'pool-ip', protocols: ['tls', 'http'], create: (m, s) => m.detect.createPoolIpDetector({ dnsCache: s.dnsCache, intel: s.intel }) }),
  defineDetector({ id: 'pool-http', protocols: ['http'], create: (m, s) => m.detect.createPoolHttpDetector({ intel: s.intel }) }),
  defineDetector({
    id: 'browser-miner', protocols: ['http'],
    // it alone reads response bodies: the pages it scans for miner scripts
    responseBodies: (m) => m.detect.readsResponseBody,
    create: (m, s) => m.detect.createBrowserMinerDetector({ intel: s.intel }),
  }),
  defineDetector({
    id: 'mining-encrypted', protocols: ['tls'],
    create: (m, s) => m.detect.createMiningEncryptedDetector({ intel: s.intel, dnsCache: s.dnsCache, hostPairs: s.hostPairs, onSuspect: s.onSuspect }),
  }),
  defineDetector({ id: 'scan', protocols: [], partition: 'source', create: (m) => m.detect.createScanDetector() }),
  defineDetector({ id: 'version-scan', protocols: ['http'], create: (m) => m.detect.createVersionScanDetector() }),
  defineDetector({ id: 'bruteforce', protocols: ['telnet', 'ftp', 'ssh', 'http'], create: (m) => m.detect.createBruteforceDetector() }),
  defineDetector({ id: 'redis-exploit', protocols: ['redis'], create: (m) => m.detect.createRedisExploitDetector() }),
] as const;

type Entry = (typeof COMPONENTS)[number];
export type ParserId = Extract<Entry, { role: 'parser' }>['id'];
export type DetectorId = Extract<Entry, { role: 'detector' }>['id'];

// Every protocol of the message contract has a parser, and every parser id is a protocol (compile-time:
// "'true' is not assignable to 'false'" here means a protocol of events/messages.ts has no parser line above).
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const everyProtocolHasParser: Exactly<ParserId, ProtocolId> = true;
void everyProtocolHasParser;

export const PARSERS = COMPONENTS.filter((c): c is Extract<Entry, { role: 'parser' }> => c.role === 'parser');
export const DETECTORS = COMPONENTS.filter((c): c is Extract<Entry, { role: 'detector' }> => c.role === 'detector');

/** Every protocol parser's id, in the order they are offered a new flow. */
export const PARSER_IDS: readonly ParserId[] = PARSERS.map((c) => c.id);
/** Every built-in detector's id (the `minewatch.detector` field of its alerts), in the order they run. */
export const DETECTOR_IDS: readonly DetectorId[] = DETECTORS.map((c) => c.id);
