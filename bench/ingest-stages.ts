/**
 * CPU µs per event of each stage an ingest node runs on a batch (500 realistic alerts, gzip as
 * the sender sends them), in one process, alternating the stages round by round so a loaded
 * machine hits them alike: gunzip, JSON.parse, the per-event checks (zod safeParse as before,
 * the compiled Ajv validator now, and the whole eventProblems), and the JetStream message
 * encoding (JSON.stringify of the batch again vs the received text reused).
 *
 *   node dist/bench/ingest-stages.js [--rounds 5] [--batches 40]
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { EVE_SCHEMAS, OtherEveEvent } from '../src/events/eve.js';
import { compileEveValidator } from '../src/events/eve-validator.js';
import { eventProblems } from '../src/server/routes/ingest.js';
import { uuidv7 } from '../src/transport/uuidv7.js';
import { alertEvent } from '../test/helpers/collector.js';
import { readArgs } from './lib/args.js';

const { value } = readArgs();
const arg = (name: string, d: number): number => Number(value(name, String(d)));
const rounds = arg('--rounds', 5);
const nBatches = arg('--batches', 40);
const PER = 500;

const base = Date.now() - 3_600_000;
const bodies: Buffer[] = [];
for (let b = 0; b < nBatches; b++) {
  const evs: string[] = [];
  for (let k = 0; k < PER; k++) {
    const e = alertEvent(b * PER + k, base + k);
    (e.minewatch as Record<string, unknown>).event_id = uuidv7();
    evs.push(JSON.stringify(e));
  }
  bodies.push(gzipSync(`{"events":[${evs.join(',')}]}`, { level: 1 }));
}
const texts = bodies.map((b) => gunzipSync(b).toString('utf8'));
const parsed = texts.map((t) => (JSON.parse(t) as { events: Array<Record<string, unknown>> }).events);
const ajv = compileEveValidator();

let sink = 0;
const stages: Record<string, () => void> = {
  gunzip: () => { for (const b of bodies) sink += gunzipSync(b).length; },
  'JSON.parse': () => { for (const t of texts) sink += (JSON.parse(t) as { events: unknown[] }).events.length; },
  'zod safeParse (before)': () => {
    for (const evs of parsed) for (const e of evs) {
      const t = e.event_type as string;
      sink += (Object.hasOwn(EVE_SCHEMAS, t) ? EVE_SCHEMAS[t as keyof typeof EVE_SCHEMAS] : OtherEveEvent).safeParse(e).success ? 1 : 0;
    }
  },
  'Ajv valid (now)': () => { for (const evs of parsed) for (const e of evs) sink += ajv.valid(e) ? 1 : 0; },
  'eventProblems (whole check, now)': () => { const now = Date.now(); for (const evs of parsed) for (const e of evs) sink += eventProblems(e, now).length; },
  'encode: JSON.stringify batch (before)': () => { for (const evs of parsed) sink += Buffer.from(JSON.stringify({ v: 1, batchId: 'x', orgId: '1', sensorId: '1', events: evs })).length; },
  'encode: received text reused (now)': () => { for (const t of texts) sink += Buffer.from(`{"v":2,"batchId":"x","orgId":"1","sensorId":"1","body":${t}}`).length; },
};

const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(stages).map((k) => [k, []]));
for (const f of Object.values(stages)) f(); // warm up
for (let r = 0; r < rounds; r++) {
  for (const [name, f] of Object.entries(stages)) {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    cpu[name].push((c.user + c.system) / (nBatches * PER));
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
process.stdout.write(`ingest stages: ${nBatches} batches × ${PER} alerts, ${rounds} alternating rounds, median CPU µs per event (sink ${sink % 10})\n`);
for (const [name, xs] of Object.entries(cpu)) process.stdout.write(`  ${name.padEnd(40)} ${med(xs).toFixed(2)} µs\n`);
