/**
 * A plain node:http stand-in for the collector's ingest route on loopback, for sender tests:
 * checks the bearer token, gunzips and parses `{"events":[…]}`, stores events by
 * `minewatch.event_id` (a second copy counts as a duplicate, like the real unique key) and
 * answers `{"accepted","duplicates"}`. `behave` decides each request's fate.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';

export type Fate =
  | 'ok'
  /** store the events, then cut the connection: the sender never sees the ack */
  | 'commit-then-drop'
  /** cut the connection without storing */
  | 'drop'
  | { status: number; headers?: Record<string, string>; body?: unknown };

export interface Received {
  at: number;
  batchId: string;
  ids: string[];
  fate: string;
}

export class FakeCollector {
  readonly stored = new Map<string, Record<string, unknown>>();
  readonly requests: Received[] = [];
  duplicates = 0;
  behave: (n: number, batchId: string) => Fate = () => 'ok';
  private server: Server | null = null;
  port = 0;

  constructor(readonly token = 'test-token') {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== 'POST' || req.url !== '/api/v1/ingest') return void res.writeHead(404).end();
    if (req.headers.authorization !== `Bearer ${this.token}`) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"bad token"}');
    let raw = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
    const body = JSON.parse(raw.toString('utf8')) as { events: Array<Record<string, unknown>> };
    const batchId = String(req.headers['idempotency-key'] ?? '');
    const ids = body.events.map((e) => String((e.minewatch as Record<string, unknown>).event_id));
    const n = this.requests.length;
    const fate = this.behave(n, batchId);
    this.requests.push({ at: Date.now(), batchId, ids, fate: typeof fate === 'string' ? fate : String(fate.status) });
    if (fate === 'drop') return void req.socket.destroy();
    if (typeof fate === 'object') {
      res.writeHead(fate.status, { 'content-type': 'application/json', ...fate.headers });
      return void res.end(JSON.stringify(fate.body ?? { message: `status ${fate.status}` }));
    }
    let accepted = 0;
    let duplicates = 0;
    for (const e of body.events) {
      const id = String((e.minewatch as Record<string, unknown>).event_id);
      if (this.stored.has(id)) duplicates++;
      else {
        this.stored.set(id, e);
        accepted++;
      }
    }
    this.duplicates += duplicates;
    if (fate === 'commit-then-drop') return void req.socket.destroy();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted, duplicates }));
  }
}
