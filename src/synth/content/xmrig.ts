/**
 * XMRig-style CryptoNote pool protocol (JSON-RPC 2.0 over TCP): login with agent and
 * algorithm list, job pushes, submit and keepalived.
 */
import type { Rng } from '../rng.js';

export const XMRIG_AGENT = 'XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0';
export const XMRIG_ALGOS = ['cn/1', 'cn/2', 'cn/r', 'cn/fast', 'cn/half', 'cn/xao', 'cn/rto', 'cn/rwz', 'cn/zls', 'cn/double', 'cn/ccx',
  'cn-lite/1', 'cn-heavy/0', 'cn-heavy/tube', 'cn-heavy/xhv', 'cn-pico', 'cn-pico/tlo', 'cn/upx2', 'rx/0', 'rx/wow', 'rx/arq', 'rx/graft',
  'rx/sfx', 'rx/yada', 'argon2/chukwa', 'argon2/chukwav2', 'argon2/ninja', 'ghostrider'];

const line = (o: unknown): Buffer => Buffer.from(`${JSON.stringify(o)}\n`, 'utf8');

/** A Monero-style wallet address (95 base58 characters starting with 4). */
export function moneroWallet(rng: Rng): string {
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  let s = '4' + alphabet[rng.range(9, 19)];
  while (s.length < 95) s += alphabet[rng.int(alphabet.length)];
  return s;
}

export class XmrigMessages {
  private nextId = 1;
  private jobSeq = 0;
  private height = 3100000;
  readonly sessionId: string;
  private readonly seedHash: string;

  constructor(private readonly rng: Rng, readonly algo = 'rx/0') {
    this.sessionId = rng.hex(16);
    this.seedHash = rng.hex(32);
    this.height += rng.int(100000);
  }

  login(wallet: string, password: string, agent: string, rigId = ''): { id: number; msg: Buffer } {
    const id = this.nextId++;
    return { id, msg: line({ id, jsonrpc: '2.0', method: 'login', params: { login: wallet, pass: password, agent, rigid: rigId, algo: XMRIG_ALGOS } }) };
  }

  private job(): Record<string, unknown> {
    this.jobSeq++;
    if (this.rng.chance(0.3)) this.height++;
    return {
      blob: `1010${this.rng.hex(37)}0000000000${this.rng.hex(33)}${this.rng.hex(2)}`,
      job_id: this.rng.hex(12),
      target: 'b88d0600',
      algo: this.algo,
      height: this.height,
      seed_hash: this.seedHash,
    };
  }

  loginResult(id: number): Buffer {
    return line({ id, jsonrpc: '2.0', error: null, result: { id: this.sessionId, job: this.job(), extensions: ['algo', 'nicehash', 'connect', 'tls', 'keepalive'], status: 'OK' } });
  }

  jobPush(): Buffer {
    return line({ jsonrpc: '2.0', method: 'job', params: this.job() });
  }

  submit(): { id: number; msg: Buffer } {
    const id = this.nextId++;
    return { id, msg: line({ id, jsonrpc: '2.0', method: 'submit', params: { id: this.sessionId, job_id: this.rng.hex(12), nonce: this.rng.hex(4), result: this.rng.hex(32), algo: this.algo } }) };
  }

  submitResult(id: number): Buffer {
    return line({ id, jsonrpc: '2.0', error: null, result: { status: 'OK' } });
  }

  keepalived(): { id: number; msg: Buffer } {
    const id = this.nextId++;
    return { id, msg: line({ id, jsonrpc: '2.0', method: 'keepalived', params: { id: this.sessionId } }) };
  }

  keepalivedResult(id: number): Buffer {
    return line({ id, jsonrpc: '2.0', error: null, result: { status: 'KEEPALIVED' } });
  }
}
