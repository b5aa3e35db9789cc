/** An in-memory EventWriter with the store's unique key (sensor, event id), for transport tests. */
import type { EventBatch, EventWriter, WriteResult } from '../../src/store/contract.js';

export class MemoryWriter implements EventWriter {
  readonly stored = new Map<string, Record<string, unknown>>();
  readonly batches: string[] = [];
  calls = 0;
  /** Optional hook before the "commit": throw to fail, await to slow down. */
  before?: (batch: EventBatch, call: number) => Promise<void> | void;

  async writeEvents(batch: EventBatch): Promise<WriteResult> {
    const call = this.calls++;
    await this.before?.(batch, call);
    let accepted = 0;
    let duplicates = 0;
    for (const e of batch.events) {
      const key = `${batch.sensorId}/${e.minewatch.event_id}`;
      if (this.stored.has(key)) duplicates++;
      else {
        this.stored.set(key, e);
        accepted++;
      }
    }
    this.batches.push(batch.batchId);
    return { accepted, duplicates };
  }
}
