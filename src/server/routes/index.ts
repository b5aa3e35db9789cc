/** Every route module, registered in this order (one file per resource). */
import type { RouteDef, ServerContext } from '../route.js';
import health from './health.js';
import auth from './auth.js';
import ingest from './ingest.js';
import alerts from './alerts.js';
import incidents from './incidents.js';
import archiveRules from './archive-rules.js';
import inventory from './inventory.js';
import admin from './admin.js';
import device from './device.js';
import evidence from './evidence.js';
import campaigns from './campaigns.js';
import telescope from './telescope.js';
import stream from './stream.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const ROUTE_MODULES: Array<(ctx: ServerContext) => Array<RouteDef<any, any, any>>> = [health, auth, ingest, alerts, incidents, archiveRules, evidence, inventory, device, admin, campaigns, telescope, stream];
