/** `minewatch incidents` and `minewatch devices`: list the local store (logic: src/pipeline/local-store.ts). */
import { Option, type Command } from 'commander';
import { INCIDENT_STATUSES, type IncidentStatus } from '../store/schema.js';
import { writeOutput } from './outputs.js';
import { parseIntOption } from './options.js';

const DB_HELP = 'store: sqlite:PATH or postgres://… (default: $XDG_DATA_HOME/minewatch/minewatch.db, as the sensor)';

function incidents(program: Command): void {
  program.command('incidents')
    .description('list incidents from the local store (one per device and cause), with what to do about each')
    .option('--db <url>', DB_HELP)
    .option('--json', 'print JSON')
    .addOption(new Option('--status <status>', 'only incidents with this status').choices([...INCIDENT_STATUSES]))
    .option('--limit <n>', 'at most N, newest first (default 1000)', parseIntOption('--limit', 1, 100_000))
    .action(async (o: { db?: string; json?: boolean; status?: IncidentStatus; limit?: number }) => {
      const { withStore, readIncidents, formatIncidents } = await import('../pipeline/local-store.js');
      const items = await withStore(o.db, (s) => readIncidents(s, { status: o.status, limit: o.limit }));
      writeOutput('-', o.json ? JSON.stringify(items, null, 2) + '\n' : formatIncidents(items));
    });
}

function devices(program: Command): void {
  program.command('devices')
    .description('list the devices in the local store: type, vendor, names, addresses, last seen, open incidents')
    .option('--db <url>', DB_HELP)
    .option('--json', 'print JSON')
    .option('--limit <n>', 'at most N, most recently seen first (default 1000)', parseIntOption('--limit', 1, 100_000))
    .action(async (o: { db?: string; json?: boolean; limit?: number }) => {
      const { withStore, readDevices, formatDevices } = await import('../pipeline/local-store.js');
      const items = await withStore(o.db, (s) => readDevices(s, { limit: o.limit }));
      writeOutput('-', o.json ? JSON.stringify(items, null, 2) + '\n' : formatDevices(items));
    });
}

export const register = [incidents, devices];
