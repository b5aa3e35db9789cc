/** Public API of rules/: Suricata-subset rules, host lists (HostIntel), exports, update. */
export { parseRule, parseRules, BUFFER_NAMES, type Rule, type RuleSkip, type RuleFileResult, type BufferName, type RuleContext } from './parser.js';
export { RuleVariables, DEFAULT_ADDRESS_VARS, DEFAULT_PORT_VARS, type RuleVariableConfig } from './variables.js';
export { RuleEngine, createMatchMeta, type MatchMeta, type RuleHit, type RuleEngineOptions } from './matcher.js';
export { RuleDetector, RULE_DETECTOR_ID, type EncryptionHandling, type RuleDetectorOptions } from './detector.js';
export { AhoCorasick, type AcPattern, type AcSink } from '../match/aho-corasick.js';
export { classify } from './classification.js';
export { loadRuleFiles, formatRuleLoadReport, type RuleLoadReport } from './load.js';
export { ListIntel, type ListReport, type ListRole } from './lists/intel.js';
export { intelConfigFrom, loadDefaultIntel, loadIntel, loadListFile, loadPoolPorts, packageDataDir, type IntelConfig, type ListFileConfig } from './lists/default.js';
export { parseList, detectListFormat } from './lists/parse.js';
export { DomainSet, normalizeDomain } from './lists/domain-set.js';
export { CidrSet } from '../util/ip-set.js';
export { updateLists, updateSource, formatUpdateReport, defaultCacheDir, cachedListPath, type ListSourceConfig, type UpdateResult } from './lists/update.js';
export { readListsConfig, type ListsConfig } from './lists/config.js';
export { LIST_FORMATS, type ListFormat, type ParsedList } from './lists/types.js';
export { EXPORT_FORMATS, renderBlocklist, buildBlocklist, readSeenHosts, type ExportFormat, type Blocklist } from './export/index.js';
