/** The per-call inputs and outputs of rule evaluation (shared by the engine and its parts). */
import type { Rule } from './parser.js';

/** Per-call facts about the packet or message being inspected; one object, reused by the caller. */
export interface MatchMeta {
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  /** IP protocol number (6, 17 …). */
  proto: number;
  /** 0 = to_server, 1 = to_client. */
  dir: 0 | 1;
  established: boolean;
  /** App protocol identified for the flow ('' unknown): gates raw-content rules of app-layer protos. */
  appProto: string;
  /** Server port of the flow (for the app-proto port fallback). */
  serverPort: number;
  /** Per-flow flowbits; null when there is no flow (then isset fails, set is dropped). */
  flowbits: Set<string> | null;
  tsUs: number;
}

export function createMatchMeta(): MatchMeta {
  return { srcIp: '', dstIp: '', srcPort: 0, dstPort: 0, proto: 6, dir: 0, established: true, appProto: '', serverPort: 0, flowbits: null, tsUs: 0 };
}

export interface RuleHit {
  rule: Rule;
  evidence: Record<string, unknown>;
}
