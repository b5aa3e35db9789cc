/**
 * minewatch as a library: the three capabilities the CLI runs, their result types, the event
 * model (zod schemas, inferred types and the generated JSON Schema) and the error classes.
 * The CLI (src/cli/) is a thin shell over exactly these functions.
 *
 *   import { analyze, EveEvent } from 'minewatch';
 *   const { summary, alerts } = await analyze({ inputs: ['home.pcap'] });
 */

/** The DPI sensor: captures or a live interface → flows, protocols, alerts, a summary. */
export { analyze, type AnalyzeOptions, type AnalyzeResult } from './pipeline/analyze.js';
export type { AnalysisSummary, RulesLoadSummary } from './pipeline/summary.js';
export type { AnalyzerConfig } from './pipeline/analyzers.js';
export { MemorySink, type EventSink } from './pipeline/eve-writer.js';

/** The darknet telescope: captures or a live interface → per-interval aggregates, a report, alerts. */
export { runTelescope as telescope, type TelescopeOptions, type TelescopeRun } from './telescope/run.js';
export { buildReport as telescopeReport, mergeReports as mergeTelescopeReports, type TelescopeReport } from './telescope/report.js';

/** The exposure scanner: your own network → hosts, services, findings with fixes. */
export { scan, type ScanOptions, type ScanProgress } from './scan/scanner.js';
export type { ScanResult, HostResult, PortResult, Finding, FindingId, Severity } from './scan/types.js';
export { scanEveEvents } from './scan/report-eve.js';

/** The event model every capability emits (Suricata EVE JSON plus `minewatch{…}`). */
export {
  EveEvent, AnyEveEvent, OtherEveEvent, FlowEvent, AlertEvent, AlertInfo, StatsEvent, ScanEvent, DeviceEvent, DnsEvent, TlsEvent, HttpEvent, DeviceRef,
  EVE_EVENT_TYPES, eveJsonSchema,
} from './events/eve.js';

/** The error model: typed errors with a stable code; exit code 2 for the user's to fix, 1 for ours. */
export {
  MinewatchError, UsageError, InputError, ConfigError, OutputError, UnavailableError, InternalError,
  exitCodeFor, type ErrorKind,
} from './util/errors.js';
