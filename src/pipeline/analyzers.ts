/**
 * Which parsers and detectors run: the one place where protocols/, detect/ and rules/ are
 * wired together. The config is plain data so worker threads can rebuild the same set.
 */
import type { DetectorContext, ProtocolMessage } from '../events/detector.js';
import type { FlowView } from '../events/flow.js';
import { createAppConsumers } from '../protocols/registry-app.js';
import type { AnalysisSummary } from './summary.js';
import type { Analyzers } from './packet-pipeline.js';

export interface AnalyzerConfig {
  /** Run protocol parsers and detectors at all (false = the bare packet spine). */
  detect: boolean;
}

export const DEFAULT_ANALYZER_CONFIG: AnalyzerConfig = { detect: true };

export function buildAnalyzers(
  config: AnalyzerConfig,
  onMessage: (flow: FlowView, msg: ProtocolMessage) => void,
  _ctx: DetectorContext,
): Analyzers {
  if (!config.detect) return { consumers: [], detectors: [], collect() {} };
  const consumers = createAppConsumers(onMessage);
  return {
    consumers,
    detectors: [],
    collect(summary: AnalysisSummary) {
      for (const c of consumers) {
        for (const [k, v] of Object.entries(c.malformed.toJSON())) summary.malformed[`${c.id}.${k}`] = (summary.malformed[`${c.id}.${k}`] ?? 0) + v;
        for (const [k, v] of Object.entries(c.stats.toJSON())) summary.protocols[`${c.id}.${k}`] = (summary.protocols[`${c.id}.${k}`] ?? 0) + v;
      }
    },
  };
}
