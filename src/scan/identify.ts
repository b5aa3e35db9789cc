/**
 * Service identification for one open port: wait briefly for a banner (services that speak
 * first), match it; otherwise run client-first probes, port hints first, each on a fresh
 * connection. Like nmap's service scan, but with our own short, bounded probes.
 */
import type { Conversation } from './conversation.js';
import { printableBanner } from './conversation.js';
import { activeProbeOrder, bannerProbeOrder, PROBES } from './probes/index.js';
import type { ProbeIo, ServiceProbe } from './probes/probe.js';
import { describeIdentity, DESCRIPTION_PATHS, fetchDescription } from './probes/ssdp-upnp.js';
import type { PortResult, ServiceIdentity } from './types.js';

export interface IdentifyContext {
  host: string;
  port: number;
  timeoutMs: number;
  /** How long to wait for a service that speaks first. */
  bannerWaitMs: number;
  open(opts?: { tls?: boolean }): Promise<Conversation | null>;
  malformed(reason: string): void;
  probes?: readonly ServiceProbe[];
}

const IAC = 0xff;

/** Read a banner on the connection the port scan opened, then close it. */
export async function grabBanner(first: Conversation, waitMs: number): Promise<Buffer> {
  let buf = await first.readUntil((b) => b.length > 0, waitMs);
  // Let the rest of a first line or a negotiation burst arrive.
  if (buf.length > 0 && buf[0] !== IAC && !buf.includes(0x0a)) buf = await first.readUntil((b) => b.includes(0x0a), 200);
  else if (buf.length > 0) buf = await first.readUntil(() => false, 30);
  first.close();
  return Buffer.from(buf);
}

export async function identifyService(first: Conversation, ctx: IdentifyContext): Promise<PortResult> {
  const probes = ctx.probes ?? PROBES;
  const io: ProbeIo = { host: ctx.host, port: ctx.port, timeoutMs: ctx.timeoutMs, open: ctx.open, malformed: ctx.malformed };
  const banner = await grabBanner(first, ctx.bannerWaitMs);
  let identity: ServiceIdentity | null = null;
  if (banner.length > 0) {
    for (const probe of bannerProbeOrder(ctx.port, probes)) {
      identity = await runSafely(() => probe.fromBanner!(banner, io), ctx, probe.id);
      if (identity) break;
    }
  } else {
    for (const probe of activeProbeOrder(ctx.port, probes)) {
      identity = await runSafely(() => probe.probe!(io), ctx, probe.id);
      if (identity) break;
    }
    // A web server announcing UPnP: its description tells make, model and IGD/TR-064.
    if (identity && identity.service === 'http' && identity.details?.upnp === true) {
      for (const path of DESCRIPTION_PATHS) {
        const desc = await runSafely(() => fetchDescription(io, path), ctx, 'upnp');
        if (desc) {
          identity = describeIdentity(desc, path, false);
          break;
        }
      }
    }
  }
  return toPortResult(ctx.port, identity, banner);
}

async function runSafely<T>(run: () => T | Promise<T>, ctx: IdentifyContext, probeId: string): Promise<T | null> {
  try {
    return await run();
  } catch {
    // A probe bug must not end the scan: count it like a malformed answer.
    ctx.malformed(`${probeId}.probe-error`);
    return null;
  }
}

export function toPortResult(port: number, identity: ServiceIdentity | null, banner: Buffer): PortResult {
  const shown = identity?.banner ?? banner;
  const result: PortResult = {
    port,
    proto: 'tcp',
    state: 'open',
    service: identity?.service ?? 'unknown',
    product: identity?.product ?? '',
    version: identity?.version ?? '',
    banner: shown.length > 0 ? printableBanner(typeof shown === 'string' ? Buffer.from(shown, 'latin1') : shown) : '',
  };
  if (identity?.tls) result.tls = true;
  if (identity?.details) result.details = identity.details;
  return result;
}
