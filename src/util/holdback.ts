/**
 * Random hold-back of a control group, deterministic in (seed, host key): a campaign holds
 * back a share of its hosts from notification so that notified clean-up can be told from
 * natural clean-up. The assignment is a hash, not a stored coin toss, so a generator that
 * simulates the campaign's world (synth/campaign.ts) and the campaign itself agree on it.
 */
import { createHash } from 'node:crypto';

/** True when the host is in the control group (held back) for this seed and share (0..1). */
export function inControlGroup(hostKey: string, seed: number, share: number): boolean {
  if (!(share > 0)) return false;
  if (share >= 1) return true;
  const h = createHash('sha256').update(`${seed >>> 0}\u0000${hostKey}`).digest();
  return h.readUInt32BE(0) / 4294967296 < share;
}

/**
 * The key a campaign tracks a host by. `device-id` rule: the sensor's device id where the
 * sensor reports one (one router behind NAT, whatever its address), else the address;
 * `ip-day` rule: the public address (counted once per UTC day in daily counts).
 */
export function campaignHostKey(rule: 'ip-day' | 'device-id', ip: string, sensor: string, deviceId: string | null): string {
  return rule === 'device-id' && deviceId ? `dev:${sensor}:${deviceId}` : `ip:${ip}`;
}
