/**
 * Which parsers and detectors run: the one place where protocols/, detect/ and rules/ are
 * wired together. The config is plain data so every worker thread rebuilds the same set.
 */
import { readFileSync } from 'node:fs';
import type { Detector, DetectorContext, ProtocolMessage } from '../events/detector.js';
import type { FlowView } from '../events/flow.js';
import type { HostIntel } from '../events/intel.js';
import type { EncryptionHandling } from '../rules/detector.js';
import type { AnalysisSummary } from './summary.js';
import { DETECTOR_IDS } from '../detect/ids.js';
import { PARSER_IDS } from '../protocols/ids.js';
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
  const [protocols, detect, listsDefault, listsConfig, suppressConfig, ruleLoad, ruleDetector] = await Promise.all([
    import('../protocols/registry-app.js'),
    import('../detect/index.js'),
    import('../rules/lists/default.js'),
    // config-file schemas (zod) and the rule engine (parser, automata) only when asked for
    config.listsConfig ? import('../rules/lists/config.js') : null,
    config.suppress ? import('../detect/suppress-config.js') : null,
    withRules ? import('../rules/load.js') : null,
    withRules ? import('../rules/detector.js') : null,
  ]);
  const ruleEngine = ruleLoad && ruleDetector ? { ...ruleLoad, ...ruleDetector } : null;
  return (onMessage, ctx) => buildAnalyzers(config, { protocols, detect, listsDefault, listsConfig, suppressConfig, ruleEngine }, onMessage, ctx);
}

interface Modules {
  protocols: typeof import('../protocols/registry-app.js');
  detect: typeof import('../detect/index.js');
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
  /** Active confirmation of suspected pools (contacts them; off by default). */
  probe?: boolean;
  /**
   * Built-in detectors to run, by id (detect/ids.ts; default all). Rule files run whenever
   * `rules` are given.
   */
  detectors?: readonly string[];
  /**
   * Protocol parsers to run, by id (protocols/ids.ts; default all). A detector left without
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

/** Detectors whose state is per source host: in worker mode they partition by source address. */
const SOURCE_PARTITIONED = new Set(['scan']);

function loadHostIntel(config: AnalyzerConfig, m: Modules): HostIntel {
  const base = config.listsConfig && m.listsConfig ? m.listsConfig.readListsConfig(config.listsConfig) : {};
  return m.listsDefault.loadIntel(m.listsDefault.intelConfigFrom(base, { includeDefault: config.defaultLists ?? true, extraLists: config.lists ?? [] }));
}

function buildAnalyzers(config: AnalyzerConfig, m: Modules, onMessage: OnMessage, _ctx: DetectorContext): Analyzers {
  const { createAppConsumers } = m.protocols;
  const { createDetectorSet, createMinerConsumers, responseBodiesRead } = m.detect;
  // Rules may inspect any body (file.data); without them only what the running detectors read is kept.
  const withRules = m.ruleEngine !== null && config.rules !== undefined && config.rules.length > 0;
  const parserOn = (id: string) => config.parsers === undefined || config.parsers.includes(id);
  const detectorOn = (id: string) => config.detectors === undefined || config.detectors.includes(id);
  const appConsumers = createAppConsumers(onMessage, withRules ? {} : { http: { keepResponseBody: responseBodiesRead(detectorOn) } }).filter((c) => parserOn(c.id));
  const minerConsumers = createMinerConsumers(onMessage).filter((c) => parserOn(c.id));
  const intel = loadHostIntel(config, m);
  const set = createDetectorSet({
    intel,
    homeNets: config.homeNets,
    suppress: config.suppress && m.suppressConfig ? m.suppressConfig.parseSuppressionConfig(JSON.parse(readFileSync(config.suppress, 'utf8'))) : undefined,
    probe: config.probe ? {} : undefined,
  });
  const detectors: Detector[] = set.detectors.filter((d) => detectorOn(d.id)).map((d) => (SOURCE_PARTITIONED.has(d.id) ? { ...d, partition: 'source' as const } : d));
  const warnings = missingParserWarnings(detectors, parserOn);
  let rules: InstanceType<NonNullable<Modules['ruleEngine']>['RuleDetector']> | null = null;
  if (withRules && m.ruleEngine && config.rules) {
    const report = m.ruleEngine.loadRuleFiles(config.rules);
    rules = new m.ruleEngine.RuleDetector(report.rules, { encryptionHandling: config.encryptionHandling ?? 'default' });
    detectors.push(rules);
  }
  const counted = [...appConsumers, ...minerConsumers] as { id: string; malformed?: { toJSON(): Record<string, number> }; stats?: { toJSON(): Record<string, number> } }[];
  return {
    consumers: [...appConsumers, ...minerConsumers],
    detectors,
    collect(summary: AnalysisSummary) {
      for (const w of warnings) if (!summary.warnings.includes(w)) summary.warnings.push(w);
      for (const c of counted) {
        for (const [k, v] of Object.entries(c.malformed?.toJSON() ?? {})) add(summary.malformed, `${c.id}.${k}`, v);
        for (const [k, v] of Object.entries(c.stats?.toJSON() ?? {})) add(summary.protocols, `${c.id}.${k}`, v);
      }
      for (const s of set.suppressed()) add(summary.alerts_suppressed, `rule ${s.rule}: ${s.reason}`, s.suppressed);
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

function add(r: Record<string, number>, k: string, v: number): void {
  r[k] = (r[k] ?? 0) + v;
}
