/**
 * Shared by the Stratum capture tests: replays every TCP stream of a shared capture through
 * the Stratum consumer (streams extracted with tshark) and checks method counts against
 * SOURCES.md allowing for retransmissions.
 */
import assert from 'node:assert/strict';
import { createStratumConsumer } from '../../src/protocols/stratum.js';
import type { ProtocolMessage } from '../../src/events/detector.js';
import type { FlowView } from '../../src/events/flow.js';
import type { StratumFields } from '../../src/protocols/types.js';
import { sharedFile } from '../helpers/shared-data.js';
import { replay, retransmittedMethodCounts, streamMethodCounts, tcpStreams } from '../detect/fixtures.js';

export interface Got { flow: FlowView; msg: ProtocolMessage }

const runCache = new Map<string, ReturnType<typeof runFileUncached>>();
const retransCache = new Map<string, Map<string, number>>();
export function runFile(file: string): ReturnType<typeof runFileUncached> {
  let r = runCache.get(file);
  if (!r) runCache.set(file, (r = runFileUncached(file)));
  return r;
}
function retransmitted(file: string): Map<string, number> {
  let r = retransCache.get(file);
  if (!r) retransCache.set(file, (r = retransmittedMethodCounts(sharedFile(file))));
  return r;
}

export function runFileUncached(file: string): { got: Got[]; methods: Map<string, number>; dialects: Set<string>; inStreams: Map<string, number> } {
  const got: Got[] = [];
  const consumer = createStratumConsumer((flow, msg) => got.push({ flow, msg }));
  const streams = tcpStreams(sharedFile(file));
  for (const s of streams) replay(consumer, s);
  const methods = new Map<string, number>();
  const dialects = new Set<string>();
  for (const { msg } of got) {
    const f = msg.fields as unknown as StratumFields;
    dialects.add(f.dialect);
    if (f.method) methods.set(f.method, (methods.get(f.method) ?? 0) + 1);
  }
  return { got, methods, dialects, inStreams: streamMethodCounts(streams) };
}

/**
 * SOURCES.md counted methods per packet (retransmitted copies included); a reassembled
 * stream carries each message once, and a per-packet count misses a message split across
 * two segments (one 18 KB mining.notify in the cgminer probe). So: parsed == occurrences in
 * the reassembled bytes (independent regex count), and SOURCES − retransmitted ≤ parsed ≤ SOURCES + 1.
 */
export function assertCount(file: string, r: ReturnType<typeof runFile>, method: string, sources: number): void {
  const parsed = r.methods.get(method) ?? 0;
  const retrans = retransmitted(file).get(method) ?? 0;
  assert.equal(parsed, r.inStreams.get(method) ?? 0, `${method}: parsed vs occurrences in reassembled stream`);
  assert.ok(parsed <= sources + 1 && parsed >= sources - retrans, `${method}: parsed ${parsed}, SOURCES ${sources}, retransmitted ${retrans}`);
}
