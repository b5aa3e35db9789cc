/**
 * Event blocks: the EVE JSON text of one ingested batch, one event per line, deflated as one
 * block. Events of a batch share most of their text (field names, signatures, pool names,
 * the sensor's addresses), so a block costs a fraction of the events one by one; it is
 * compressed in libuv's thread pool (off the main thread) before the write transaction, and
 * readers inflate a block once for every event they need from it (a small cache keeps the
 * last few).
 */
import { promisify } from 'node:util';
import { deflateRaw, inflateRawSync, constants } from 'node:zlib';
import { InternalError } from '../util/errors.js';

export const BLOCK_CODEC = 'deflate-raw';
const deflate = promisify(deflateRaw);

export interface PackedBlock {
  data: Buffer;
  minTs: number;
  maxTs: number;
}

/** Joins the texts with newlines (the offsets the rows carry) and deflates them. */
export async function packBlock(texts: string[], rows: ReadonlyArray<{ ts: number }>): Promise<PackedBlock> {
  let minTs = Infinity;
  let maxTs = -Infinity;
  for (const r of rows) {
    if (r.ts < minTs) minTs = r.ts;
    if (r.ts > maxTs) maxTs = r.ts;
  }
  const data = await deflate(Buffer.from(texts.join('\n')), { level: 1, memLevel: 9, strategy: constants.Z_DEFAULT_STRATEGY });
  return { data, minTs: Number.isFinite(minTs) ? minTs : 0, maxTs: Number.isFinite(maxTs) ? maxTs : 0 };
}

const MAX_INFLATED = 256 << 20;

/** Inflated blocks by id, the few most recently used. */
export class BlockCache {
  private readonly cache = new Map<number, Buffer>();

  constructor(private readonly size = 8) {}

  get(id: number): Buffer | undefined {
    const b = this.cache.get(id);
    if (b) {
      this.cache.delete(id);
      this.cache.set(id, b);
    }
    return b;
  }

  put(id: number, codec: string, data: Uint8Array): Buffer {
    if (codec !== BLOCK_CODEC) throw new InternalError('store.block-codec', `event block ${id} has unknown codec ${codec}`);
    const text = inflateRawSync(data, { maxOutputLength: MAX_INFLATED });
    this.cache.set(id, text);
    while (this.cache.size > this.size) this.cache.delete(this.cache.keys().next().value as number);
    return text;
  }
}
