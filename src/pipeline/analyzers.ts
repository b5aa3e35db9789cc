/**
 * Which parsers and detectors run: the one place where protocols/, detect/ and rules/ are
 * wired together, from the component registry (components.ts). The config is plain data so
 * every worker thread rebuilds the same set.
 */
import { addStageCounts } from '../events/counters.js';
import type { AlertInput, Detector, DetectorContext, ProtocolMessage } from '../events/detector.js';
import type { Inventory } from '../devices/index.js';
import type { FlowView } from '../events/flow.js';
import type { HostIntel } from '../events/intel.js';
import { InternalError } from '../util/errors.js';
import { formatIpv4, formatIpv6 } from '../util/ip.js';
import type { PacketView } from '../events/packet.js';
import type { EncryptionHandling } from '../rules/detector.js';
import type { AnalysisSummary } from './summary.js';
import { alertContext } from './alert-context.js';
import { DETECTOR_IDS, DETECTORS, PARSER_IDS, PARSERS, type ComponentModules, type DetectorShared, type ParserInstance } from './components.js';
import type { Analyzers } from './packet-pipeline.js';

type OnMessage = (flow: FlowView, msg: ProtocolMessage) => void;
/** Builds one pipeline's parsers and detectors (synchronously, once the modules are loaded). */
export type AnalyzerFactory = (onMessage: OnMessage, ctx: DetectorContext) => Analyzers;

const NONE: Analyzers = { consumers: [], detectors: [], collect() {} };

/**
 * Loads the parser, detector and rule modules only when detection is on: `--no-detect`
 * runs (and every other command) start without paying for them.
 */
export async function analyzerFactory(config: AnalyzerConfig): Promise<AnalyzerFactory> {
  if (!config.detect) return () => NONE;
  const unknown = unknownComponentIds(config);
  if (unknown) throw new RangeError(unknown);
  const withRules = config.rules !== undefined && config.rules.length > 0;
  const [protocols, detect, devices, listsDefault, listsConfig, suppressConfig, ruleLoad, ruleDetector] = await Promise.all([
    import('../protocols/index.js'),
    import('../detect/index.js'),
    import('../devices/index.js'),
    import('../rules/lists/default.js'),
    // config-file schemas (zod) and the rule engine (parser, automata) only when asked for
    config.listsConfig ? import('../rules/lists/config.js') : null,
    config.suppress ? import('../detect/suppress-config.js') : null,
    withRules ? import('../rules/load.js') : null,
    withRules ? import('../rules/detector.js') : null,
  ]);
  const ruleEngine = ruleLoad && ruleDetector ? { ...ruleLoad, ...ruleDetector } : null;
  const baselineCountry = await baselineCountryLookup(config);
  return (onMessage, ctx) => buildAnalyzers(config, { protocols, detect, devices, listsDefault, listsConfig, suppressConfig, ruleEngine }, onMessage, ctx, baselineCountry);
}

/** The country lookup the baselines get: one database per factory (per worker), only with baselines on. */
async function baselineCountryLookup(config: AnalyzerConfig): Promise<import('../devices/index.js').CountryLookup | undefined> {
  if (config.baselines === undefined || config.baselineCountries === false) return undefined;
  const geo = (await import('../telescope/geo.js')).openCountries(config.baselineCountries ?? {});
  return (ip) => geo.country(ip);
}

interface Modules extends ComponentModules {
  listsDefault: typeof import('../rules/lists/default.js');
  listsConfig: typeof import('../rules/lists/config.js') | null;
  suppressConfig: typeof import('../detect/suppress-config.js') | null;
  ruleEngine: (typeof import('../rules/load.js') & typeof import('../rules/detector.js')) | null;
}

export interface AnalyzerConfig {
  /** Run protocol parsers and detectors at all (false = the bare packet spine). */
  detect: boolean;
  /** Suricata-subset rule files (detector `rule`). */
  rules?: string[];
  /** Raw-content rules on TLS flows after the handshake: 'default' (stop, as Suricata) or 'full'. */
  encryptionHandling?: EncryptionHandling;
  /** Lists config file (JSON: lists, sources, includeDefault …). */
  listsConfig?: string;
  /** Extra list files (domains, hosts, adblock, CIDRs), format detected. */
  lists?: string[];
  /** Use the shipped default pool/miner list (default true). */
  defaultLists?: boolean;
  /** Suppression rules file (JSON {rules: [...]}). */
  suppress?: string;
  /** Home networks (CIDRs): alerts say whether the device is inside them. */
  homeNets?: string[];
  /** Extra device classification rule files (--device-rules), on top of data/devices/rules.json. */
  deviceRules?: string[];
  /** Behaviour baselines per device with these settings (off when undefined; the sensor turns them on). */
  baselines?: import('../devices/index.js').BaselineOptions;
  /**
   * Countries of the baselines' destinations (telescope/geo.ts's country database: the bundled
   * one, or geoipDb); opened only when baselines are on; false: no countries.
   */
  baselineCountries?: false | { geoipDb?: string };
  /** Active confirmation of suspected pools (contacts them; off by default). */
  probe?: boolean;
  /**
   * Built-in detectors to run, by id (DETECTOR_IDS of pipeline/components.ts; default all). Rule files run whenever
   * `rules` are given.
   */
  detectors?: readonly string[];
  /**
   * Protocol parsers to run, by id (PARSER_IDS of pipeline/components.ts; default all). A detector left without
   * a parser it reads is named in the summary's warnings.
   */
  parsers?: readonly string[];
}

export const DEFAULT_ANALYZER_CONFIG: AnalyzerConfig = { detect: true };

/** Why `detectors` or `parsers` names something that does not exist, or null when both are fine. */
export function unknownComponentIds(config: Pick<AnalyzerConfig, 'detectors' | 'parsers'>): string | null {
  for (const [what, given, known] of [['detector', config.detectors, DETECTOR_IDS], ['parser', config.parsers, PARSER_IDS]] as const) {
    const bad = (given ?? []).filter((id) => !(known as readonly string[]).includes(id));
    if (bad.length > 0) return `unknown ${what} ${bad.map((id) => `"${id}"`).join(', ')} (known: ${known.join(', ')})`;
  }
  return null;
}

/** A warning per detector that reads a protocol whose parser is not running. */
export function missingParserWarnings(detectors: readonly Detector[], parserOn: (id: string) => boolean): string[] {
  const out: string[] = [];
  for (const d of detectors) {
    const off = (d.protocols ?? []).filter((p) => !parserOn(p));
    if (off.length > 0) out.push(`detector ${d.id} reads ${off.join(' and ')} messages, but the ${off.join(' and ')} parser${off.length > 1 ? 's are' : ' is'} off (--parsers): it gets none of them`);
  }
  return out;
}

function loadHostIntel(config: AnalyzerConfig, m: Modules): HostIntel {
  const base = config.listsConfig && m.listsConfig ? m.listsConfig.readListsConfig(config.listsConfig) : {};
  return m.listsDefault.loadIntel(m.listsDefault.intelConfigFrom(base, { includeDefault: config.defaultLists ?? true, extraLists: config.lists ?? [] }));
}

const noResponseBodies = (): boolean => false;

/** The parser and detector modules (what the registry's create functions draw on). */
export async function loadComponentModules(): Promise<ComponentModules> {
  const [protocols, detect, devices] = await Promise.all([import('../protocols/index.js'), import('../detect/index.js'), import('../devices/index.js')]);
  return { protocols, detect, devices };
}

/**
 * The HTTP response bodies the running detectors read, by Content-Type (the registry's
 * `responseBodies`: only browser-miner's pages). Rules may read any body: pass all of them then.
 */
export function responseBodiesRead(m: ComponentModules, detectorOn: (id: string) => boolean): (contentType: string) => boolean {
  const readers = DETECTORS.filter((c) => detectorOn(c.id)).flatMap((c): ((contentType: string) => boolean)[] => ('responseBodies' in c && c.responseBodies ? [c.responseBodies(m)] : []));
  if (readers.length === 0) return noResponseBodies;
  if (readers.length === 1) return readers[0];
  return (contentType) => readers.some((r) => r(contentType));
}

/** The registry's parsers (those `parserOn` picks, default all), in offer order, emitting into `sink`. */
export function createParsers(m: ComponentModules, sink: OnMessage, opts: { parserOn?: (id: string) => boolean; keepResponseBody?: (contentType: string) => boolean } = {}): ParserInstance[] {
  const on = opts.parserOn ?? (() => true);
  return PARSERS.filter((c) => on(c.id)).map((c) => c.create(m, sink, { keepResponseBody: opts.keepResponseBody }));
}

export interface CreateDetectorsOptions {
  intel: HostIntel;
  /** Which detectors (default all). */
  detectorOn?: (id: string) => boolean;
  /** Active confirmation of suspected pools (contacts them). */
  probe?: boolean;
  /** The device inventory's settings. */
  inventory?: import('../devices/index.js').InventoryOptions;
  baselines?: import('../devices/index.js').BaselineOptions;
  baselineCountry?: import('../devices/index.js').CountryLookup;
  /** The DNS answer cache the detectors share (default: a new one). */
  dnsCache?: InstanceType<ComponentModules['detect']['DnsAnswerCache']>;
}

/** The lists, caches and prober one pipeline's detectors share. */
export function createDetectorShared(m: ComponentModules, opts: CreateDetectorsOptions): DetectorShared {
  const shared: DetectorShared = { intel: opts.intel, dnsCache: opts.dnsCache ?? new m.detect.DnsAnswerCache(), hostPairs: new m.detect.MiningHostPairs(), inventory: opts.inventory, baselines: opts.baselines, baselineCountry: opts.baselineCountry };
  if (opts.probe) shared.onSuspect = m.detect.createProbeConfirmer(new m.detect.StratumProber({}));
  return shared;
}

/** The registry's detectors (those `detectorOn` picks, default all), in run order, sharing one set of caches. */
export function createDetectors(m: ComponentModules, opts: CreateDetectorsOptions, shared: DetectorShared = createDetectorShared(m, opts)): Detector[] {
  const on = opts.detectorOn ?? (() => true);
  return DETECTORS.filter((c) => on(c.id)).map((c) => {
    const d = c.create(m, shared);
    if (d.id !== c.id || String(d.protocols ?? []) !== String(c.protocols)) {
      throw new InternalError('components.mismatch', `detector ${c.id}: the registry says it reads [${c.protocols.join(', ')}], the detector (${d.id}) says [${(d.protocols ?? []).join(', ')}]`);
    }
    return c.partition === 'source' ? { ...d, partition: 'source' as const } : d;
  });
}

function buildAnalyzers(config: AnalyzerConfig, m: Modules, onMessage: OnMessage, _ctx: DetectorContext, baselineCountry?: import('../devices/index.js').CountryLookup): Analyzers {
  // Rules may inspect any body (file.data); without them only what the running detectors read is kept.
  const withRules = m.ruleEngine !== null && config.rules !== undefined && config.rules.length > 0;
  const parserOn = (id: string) => config.parsers === undefined || config.parsers.includes(id);
  const detectorOn = (id: string) => config.detectors === undefined || config.detectors.includes(id);
  const consumers = createParsers(m, onMessage, { parserOn, keepResponseBody: withRules ? undefined : responseBodiesRead(m, detectorOn) });
  const inventory = { homeNets: config.homeNets, rules: m.devices.loadDeviceRules(config.deviceRules ?? []) };
  const intel = loadHostIntel(config, m);
  const detectorOpts: CreateDetectorsOptions = { intel, detectorOn, probe: config.probe, inventory, baselines: config.baselines, baselineCountry };
  const shared = createDetectorShared(m, detectorOpts);
  const detectors = createDetectors(m, detectorOpts, shared);
  const dnsCache = shared.dnsCache;
  const observer = detectors.find((d): d is ReturnType<Modules['devices']['createDeviceObserver']> => d.id === 'devices' && 'inventory' in d);
  const warnings = missingParserWarnings(detectors, parserOn);
  let rules: InstanceType<NonNullable<Modules['ruleEngine']>['RuleDetector']> | null = null;
  if (withRules && m.ruleEngine && config.rules) {
    const report = m.ruleEngine.loadRuleFiles(config.rules);
    rules = new m.ruleEngine.RuleDetector(report.rules, { encryptionHandling: config.encryptionHandling ?? 'default' });
    detectors.push(rules);
  }
  // DNS answers of flows other workers own: pool-dns learns which addresses answered pool names
  const poolDns = detectors.find((d): d is ReturnType<Modules['detect']['createPoolDnsDetector']> => d.id === 'pool-dns' && 'learnAnswer' in d);
  const learnForeignDns = poolDns ? (pkt: PacketView): void => {
    const r = m.protocols.parseDns(pkt.buf, pkt.payloadOffset, pkt.payloadLength, 'udp');
    if (!r.ok || !r.value.response || r.value.ancount === 0) return;
    poolDns.learnAnswer(r.value, pkt.ipVersion === 4 ? formatIpv4(pkt.dst4) : formatIpv6(pkt.buf, pkt.dst6Offset), pkt.tsUs);
  } : undefined;
  const suppress = config.suppress && m.suppressConfig ? m.suppressConfig.readSuppressionConfig(config.suppress) : undefined;
  const contexts: ReturnType<typeof alertContext>[] = [];
  return {
    consumers,
    detectors,
    ...(learnForeignDns ? { learnForeignDns } : {}),
    inventory: observer?.inventory,
    baselines: observer?.baselines,
    *resolvedMiningAddresses(): IterableIterator<string> {
      for (const [address, e] of dnsCache.entries()) {
        if (intel.matchDomain(e.name) ?? (e.target !== '' ? intel.matchDomain(e.target) : null)) yield address;
      }
    },
    // Built once per pipeline context (the pipeline asks once), never per packet.
    wrapContext(ctx: DetectorContext): DetectorContext {
      // every alert carries its device, from this pipeline's inventory (never a remote host's router MAC)
      const inner = observer ? withDevices(ctx, observer.inventory, m.devices.attributeDevice) : ctx;
      const c = alertContext(inner, { homeNets: config.homeNets, suppress }, m.detect);
      contexts.push(c);
      return c.ctx;
    },
    collect(summary: AnalysisSummary) {
      if (observer) summary.devices = observer.inventory.exportState();
      // bounded caches: how many DNS answers were forgotten because they were full
      if (shared.dnsCache.evicted > 0) add(summary.stream, 'detect.dns_answers_evicted', shared.dnsCache.evicted);
      if (shared.dnsCache.poolEvicted > 0) add(summary.stream, 'detect.pool_answers_evicted', shared.dnsCache.poolEvicted);
      const encrypted = detectors.find((d): d is Detector & { endpointsEvicted: number } => d.id === 'mining-encrypted' && 'endpointsEvicted' in d);
      if (encrypted && encrypted.endpointsEvicted > 0) add(summary.stream, 'detect.tls_endpoints_evicted', encrypted.endpointsEvicted);
      for (const w of warnings) if (!summary.warnings.includes(w)) summary.warnings.push(w);
      for (const c of consumers) {
        if (c.malformed) addStageCounts(summary.malformed, c.id, c.malformed.toJSON());
        for (const [k, v] of Object.entries(c.stats?.toJSON() ?? {})) add(summary.protocols, `${c.id}.${k}`, v);
      }
      if (suppress) {
        for (const [i, r] of suppress.rules.entries()) {
          const n = contexts.reduce((sum, c) => sum + (c.suppressed()[i]?.suppressed ?? 0), 0);
          add(summary.alerts_suppressed, `rule ${i}: ${r.reason}`, n);
        }
      }
      if (rules) for (const [k, v] of Object.entries(rules.engine.stats as unknown as Record<string, unknown>)) {
        if (typeof v === 'number') add(summary.stream, `rules.${k}`, v);
      }
      if (rules) {
        // pcre runs cut short by their time budget (rules/pcre.ts), in total and per rule
        add(summary.stream, 'rules.pcre_budget_hits', rules.engine.pcre.stats.budgetHits);
        for (const [sid, n] of rules.engine.pcre.budgetHits) add(summary.stream, `rules.pcre_budget_hits.sid_${sid}`, n);
      }
    },
  };
}

function withDevices(next: DetectorContext, inv: Inventory, attribute: (inv: Inventory, flow: FlowView | null, a: AlertInput) => AlertInput['device']): DetectorContext {
  return {
    emit(flow: FlowView | null, alert: AlertInput): void {
      const device = attribute(inv, flow, alert);
      next.emit(flow, device ? { ...alert, device } : alert);
    },
    emitEvent: (e) => next.emitEvent(e),
  };
}

function add(r: Record<string, number>, k: string, v: number): void {
  r[k] = (r[k] ?? 0) + v;
}
