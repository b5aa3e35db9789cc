/** Stratum v1 (Bitcoin-family pools): subscribe, authorize, set_difficulty, notify, submit. */
import type { Rng } from '../rng.js';

const line = (o: unknown): Buffer => Buffer.from(`${JSON.stringify(o)}\n`, 'utf8');

export class StratumV1Messages {
  private nextId = 1;
  private job = 0;
  readonly extranonce1: string;
  private readonly prevHash: string;

  constructor(private readonly rng: Rng) {
    this.extranonce1 = rng.hex(4);
    this.prevHash = rng.hex(32);
  }

  subscribe(agent: string): { id: number; msg: Buffer } {
    const id = this.nextId++;
    return { id, msg: line({ id, method: 'mining.subscribe', params: [agent] }) };
  }

  subscribeResult(id: number): Buffer {
    const sub = this.rng.hex(8);
    return line({ id, result: [[['mining.set_difficulty', sub], ['mining.notify', sub]], this.extranonce1, 4], error: null });
  }

  authorize(worker: string, password: string): { id: number; msg: Buffer } {
    const id = this.nextId++;
    return { id, msg: line({ params: [worker, password], id, method: 'mining.authorize' }) };
  }

  result(id: number, ok: boolean): Buffer {
    return line(ok ? { id, result: true, error: null } : { id, result: null, error: [23, 'Low difficulty share', null] });
  }

  setDifficulty(d: number): Buffer {
    return line({ id: null, method: 'mining.set_difficulty', params: [d] });
  }

  /** Equihash (Zcash) pools send a target instead of a difficulty. */
  setTarget(): Buffer {
    return line({ id: null, method: 'mining.set_target', params: [`0003${this.rng.hex(30)}`] });
  }

  /** A new job; returns its id so submits can refer to it. */
  notify(clean: boolean): { jobId: string; msg: Buffer } {
    const jobId = (++this.job).toString(16);
    const branches: string[] = [];
    const n = 6 + this.rng.int(6);
    for (let i = 0; i < n; i++) branches.push(this.rng.hex(32));
    const ntime = (1700000000 + this.job * 30).toString(16);
    return {
      jobId,
      msg: line({
        id: null, method: 'mining.notify',
        params: [jobId, this.prevHash, `01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff20${this.rng.hex(20)}`,
          `ffffffff0100f2052a01000000${this.rng.hex(25)}00000000`, branches, '20000000', '17034219', ntime, clean],
      }),
    };
  }

  submit(worker: string, jobId: string): { id: number; msg: Buffer } {
    const id = this.nextId++;
    return { id, msg: line({ params: [worker, jobId, this.rng.hex(4), (1700000000 + this.rng.int(1000)).toString(16), this.rng.hex(4)], id, method: 'mining.submit' }) };
  }
}
