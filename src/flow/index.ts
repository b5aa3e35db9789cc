/** The flow stage: flow table, TCP reassembly, stream-consumer dispatch, EVE flow records. */
export { FlowEngine, type FlowEngineOptions, type FlowEngineStats } from './engine.js';
export { PayloadBursts, DEFAULT_BURST_GAP_US, type BurstCallback } from './bursts.js';
export {
  FlowTable, DEFAULT_FLOW_TIMEOUTS, DEFAULT_MAX_FLOWS, DEFAULT_ACTIVE_TIMEOUT_S,
  type FlowTableOptions, type FlowTableStats, type FlowTimeouts, type FlowEndCallback,
} from './table.js';
export { FlowRecord } from './record.js';
export {
  TcpReassembler, TcpStream, DEFAULT_STREAM_DEPTH,
  type ReassemblyOptions, type ReassemblyStats, type StreamSink,
} from './tcp-reassembly.js';
export { StreamDispatcher, MAX_STREAM_CONSUMERS, type DispatchStats } from './dispatch.js';
export { flowToEve, eveFlowReason } from './eve-flow.js';
export { flowIdFromSequence } from './flow-id.js';
