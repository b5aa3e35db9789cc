/** Synthetic traffic generation: deterministic captures with ground truth for benchmarks, the demo and evaluations. */
export { generate, SYNTH_KINDS, DEFAULT_START_MS, DEFAULT_PACKETS, type SynthKind, type SynthOptions, type SynthResult } from './generate.js';
export type { FlowSetTruth, DeviceTruth } from './mixed.js';
export type { SampleTruth } from './sample.js';
export type { DarknetTruth, SourceTruth, SourceClass, ScannerFamily } from './darknet.js';
export type { DarknetScaleTruth, ScalePopulation } from './darknet-scale.js';
export type { SmallTruth } from './small.js';
export type { FlowTruth, FlowLabel } from './world.js';
export { MINING_LABELS, ATTACK_LABELS } from './world.js';
export { FrameBuilder, Path, TcpSession, udpExchange, type FrameSink } from './packet-builder.js';
export { Rng } from './rng.js';
