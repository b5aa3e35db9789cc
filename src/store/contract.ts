/**
 * What the store promises the layers above it (transport, server, sensor) about events.
 * The collector implements it on SQLite and PostgreSQL; the NATS writer and the direct
 * ingest path both call it.
 */

/** One validated EVE event as received: stored whole, with a few columns extracted. */
export type StoredEvent = Readonly<Record<string, unknown>> & {
  readonly timestamp: string;
  readonly event_type: string;
  readonly minewatch: Readonly<Record<string, unknown>> & { readonly event_id: string };
};

/** A batch of events from one sensor of one organisation. */
export interface EventBatch {
  /** Unique per batch (UUIDv7): the NATS message id, so JetStream drops a retried batch. */
  readonly batchId: string;
  readonly orgId: string;
  readonly sensorId: string;
  readonly events: readonly StoredEvent[];
}

export interface WriteResult {
  /** Events stored by this call. */
  readonly accepted: number;
  /** Events already stored earlier (same sensor, same `minewatch.event_id`). */
  readonly duplicates: number;
}

/** Writes a batch in one transaction; resolves only after the commit is durable. */
export interface EventWriter {
  writeEvents(batch: EventBatch): Promise<WriteResult>;
}
