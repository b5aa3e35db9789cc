/** The command registry: one line per command file (each exports `register(program)`). */
import type { Command } from 'commander';
import { register as analyze } from './analyze.js';
import { register as demo } from './demo.js';
import { register as synth } from './synth.js';
import { register as scan } from './scan.js';
import { register as lists } from './lists.js';
import { register as telescope } from './telescope.js';
import { register as schema } from './schema.js';
import { register as server } from './server.js';
import { register as admin } from './admin.js';
import { register as campaign } from './campaign.js';
import { register as sensor } from './sensor.js';
import { register as incidents } from './incidents.js';
import { register as dashboard } from './dashboard.js';
import { register as campaignCore } from './campaign-core.js';
import { register as report } from './report.js';
import { register as campaignNotify } from './campaign-notify.js';

export const COMMANDS: ((program: Command) => void)[] = [analyze, telescope, scan, lists, synth, demo, schema, server, admin, campaign, campaignCore, campaignNotify, report, sensor, ...incidents, dashboard];
