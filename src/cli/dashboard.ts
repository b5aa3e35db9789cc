/**
 * `minewatch dashboard` (what `npm start` runs): a collector with the dashboard on a fresh
 * embedded store (SQLite in a new temporary directory unless --data-dir), loaded with the
 * analysed sample capture; prints the address and the first sign-in, then serves until
 * Ctrl-C.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('dashboard')
    .description('try the dashboard: analyse the generated sample capture into a new embedded store, serve the collector and the dashboard')
    .option('--data-dir <dir>', 'keep the store here (default: a new temporary directory)')
    .option('--listen <host:port>', 'address to serve on', '127.0.0.1:8080')
    .option('--no-sample', 'do not load the sample capture')
    .action(async (o: { dataDir?: string; listen: string; sample: boolean }) => {
      const { startServer } = await import('../server/start.js');
      const { loadCampaignSample, loadSample, loadTelescopeSample } = await import('./dashboard-sample.js');
      const dir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'minewatch-dashboard-'));
      const dbFile = join(dir, 'minewatch.db');
      const fresh = !existsSync(dbFile);
      let password: string | null = null;
      const server = await startServer({
        db: `sqlite:${dbFile}`, listen: o.listen,
        notice: (text) => { password = /^\s{4}(\S+)$/m.exec(text)?.[1] ?? null; },
      });
      try {
        if (o.sample && fresh) {
          process.stderr.write('minewatch: generating and analysing the sample capture…\n');
          const r = await loadSample(server, join(dir, 'sample'));
          process.stderr.write(`minewatch: ${r.packets.toLocaleString('en-US')} packets analysed; ${r.accepted.toLocaleString('en-US')} events (${r.alerts} alerts) stored through the ingest API\n`);
          process.stderr.write('minewatch: generating a darknet sample for the telescope view…\n');
          const t = await loadTelescopeSample(server, join(dir, 'sample'));
          process.stderr.write(`minewatch: telescope sample: ${t.packets.toLocaleString('en-US')} packets from ${t.sources.toLocaleString('en-US')} sources\n`);
          const c = await loadCampaignSample(server);
          process.stderr.write(`minewatch: campaign sample: ${c.hosts.toLocaleString('en-US')} infected hosts from ${c.events.toLocaleString('en-US')} events over 120 days\n`);
        }
      } catch (err) {
        await server.close();
        throw err;
      }
      process.stdout.write(`\nminewatch dashboard: ${server.url}/\n` +
        (password ? `  first sign-in: user "admin", one-time password ${password} (you will be asked to choose a new one)\n`
          : `  sign in with your existing user (reset one: minewatch admin --db sqlite:${dbFile} user passwd admin --password-stdin)\n`) +
        `  data: ${dir}\n  stop with Ctrl-C\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      process.stderr.write('minewatch: stopping\n');
      await server.close();
    });
}
