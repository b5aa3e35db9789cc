/**
 * Child-process runner for the hostile-input suite: one `analyze` over one capture, timed
 * inside the process (start-up excluded) in wall and CPU time, with the process's peak RSS. Argument: JSON
 * `{ input, config }`; prints one JSON line.
 */
import { analyze } from '../../src/pipeline/analyze.js';
import { DEFAULT_ANALYZER_CONFIG, type AnalyzerConfig } from '../../src/pipeline/analyzers.js';

// `node --test dist/test/` runs every file under test/, this one too: without an argument it
// has nothing to do.
if (process.argv[2] === undefined) process.exit(0);
const { input, config } = JSON.parse(process.argv[2]) as { input: string; config: Partial<AnalyzerConfig> };
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const r = await analyze({ inputs: [input], workers: 1, progress: false, keepAlerts: 1000, analyzers: { ...DEFAULT_ANALYZER_CONFIG, ...config } });
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000;
const sigs = r.alerts.map((a) => String((a.alert as { signature?: string } | undefined)?.signature ?? ''));
process.stdout.write(`${JSON.stringify({ ms, cpuMs, rssMb: process.resourceUsage().maxRSS / 1024, summary: r.summary, signatures: sigs })}\n`);
