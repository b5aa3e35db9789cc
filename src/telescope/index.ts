/** Public surface of the telescope stage. */
export { runTelescope, parseDarknets, buildAggregator, type TelescopeOptions, type TelescopeRun } from './run.js';
export { TelescopeAggregator, type AggregatorOptions, BURST_MIN_SOURCES } from './aggregator.js';
export { TelescopeState, type SerializedState, type SourceRow, type VictimRow, type BurstRow, isDosAttack } from './state.js';
export { buildReport, mergeReports, findSurges, type TelescopeReport } from './report.js';
export { encodeStateFile, decodeStateFile, readStateHeader, isStateFile, mergeStateFiles, darknetConflict, type StateHeader, type StateInput } from './state-file.js';
export { renderHtmlReport } from './html.js';
export { writeCsvTables } from './csv.js';
export { UniqueCounter, sketchError } from './unique.js';
export { openGeo, parseAsnCsv, GeoLookup, AsnTable, OrgNames, ASN_ATTRIBUTION } from './geo.js';
export { parseWatchList, loadWatchList, WatchList } from './watch.js';
export { formatTelescopeSummary } from './summary-text.js';
