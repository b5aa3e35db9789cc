/**
 * Where an ingest node hands a validated batch: straight into the store (the embedded
 * default) or into a NATS JetStream stream that writer instances drain (scale-out). Either
 * way the promise resolves only when the batch is durable, and only then is the sensor
 * acknowledged.
 */
import type { EventBatch, EventWriter, WriteResult } from '../store/contract.js';

export interface IngestResult {
  readonly accepted: number;
  readonly duplicates: number;
  /** True when the batch is durable in a queue and the database write is still to come. */
  readonly queued: boolean;
}

/**
 * A validated batch as the ingest route hands it on. `receivedJson`, when set, is the JSON
 * text the sensor sent: an object whose only member is `events` (duplicated keys aside, the
 * last one wins as in JSON.parse), parsing to exactly `events`; a sink may forward those bytes
 * instead of serialising the events again.
 */
export interface IngestBatch extends EventBatch {
  readonly receivedJson?: string;
}

export interface IngestSink {
  submit(batch: IngestBatch): Promise<IngestResult>;
  close(): Promise<void>;
}

/** The embedded path: write through to the store in the request. */
export function directSink(writer: EventWriter): IngestSink {
  return {
    async submit(batch: EventBatch): Promise<IngestResult> {
      const r: WriteResult = await writer.writeEvents(batch);
      return { accepted: r.accepted, duplicates: r.duplicates, queued: false };
    },
    async close(): Promise<void> {},
  };
}
