/**
 * The device rules file format (zod), loaded only when a file is checked: the user's
 * --device-rules files and the tests (the shipped file is read without it). zod is required
 * lazily so a run that reads no user file never loads it.
 */
import { createRequire } from 'node:module';
import type * as Z from 'zod';

export const DEVICE_TYPES = ['router', 'pc', 'laptop', 'phone', 'tablet', 'ip-camera', 'nas', 'smart-tv', 'game-console', 'printer', 'smart-speaker', 'iot', 'unknown'] as const;

function build(z: typeof Z) {
  const regex = z.string().min(1).max(500).refine((s) => {
    try {
      new RegExp(s, 'i');
      return true;
    } catch {
      return false;
    }
  }, 'not a valid regular expression');

  const DeviceRuleMatch = z.strictObject({
    /** IEEE registry organisation of the burned-in MAC. */
    vendor: regex.optional(),
    /** DHCP host name, mDNS name or instance label. */
    hostname: regex.optional(),
    /** DHCP option 55 exactly, in order. */
    dhcpParams: z.array(z.number().int().min(0).max(255)).optional(),
    /** DHCP option 55 starting with these codes. */
    dhcpParamsPrefix: z.array(z.number().int().min(0).max(255)).min(1).optional(),
    /** DHCP option 60. */
    vendorClass: regex.optional(),
    /** An mDNS service type the device announces (`_googlecast._tcp`). */
    mdnsService: regex.optional(),
    /** A model-like mDNS TXT value (md=, model=, ty=). */
    mdnsModel: regex.optional(),
    /** An SSDP SERVER / USN / NT string. */
    ssdp: regex.optional(),
    /** A raw HTTP User-Agent. */
    userAgent: regex.optional(),
    /** ua-parser-js device type: mobile, tablet, smarttv, console, wearable, embedded, or `none` for a desktop browser. */
    uaDeviceType: z.string().min(1).optional(),
    /** ua-parser-js OS name. */
    uaOs: regex.optional(),
    /** Initial TTL (64, 128, 255). */
    ttl: z.union([z.literal(64), z.literal(128), z.literal(255)]).optional(),
    /** A role seen on the segment. */
    role: z.enum(['dhcp-server', 'gateway', 'ipv6-router', 'dns-server']).optional(),
    /** Every MAC of the device is randomised (locally administered). */
    randomizedMac: z.boolean().optional(),
    ja3: regex.optional(),
    ja4: regex.optional(),
  });

  const DeviceRule = z.strictObject({
    id: z.string().min(1).max(80),
    type: z.enum(DEVICE_TYPES).exclude(['unknown']),
    /** Points added to the type's score when the rule matches (negative: evidence against). */
    weight: z.number().int().min(-100).max(100),
    /** Why, in words (shown as the reason). */
    reason: z.string().min(1).max(200),
    match: DeviceRuleMatch.refine((m) => Object.keys(m).length > 0, 'a rule must match on something'),
  });

  const DeviceRulesFile = z.strictObject({
    $comment: z.string().optional(),
    /** Score (0–100) below which a device is `unknown`. */
    threshold: z.number().min(0).max(100).optional(),
    rules: z.array(DeviceRule),
  });
  return { DeviceRuleMatch, DeviceRule, DeviceRulesFile };
}

type Schemas = ReturnType<typeof build>;
export type DeviceRule = Z.infer<Schemas['DeviceRule']>;
export type DeviceRulesFile = Z.infer<Schemas['DeviceRulesFile']>;

let schemas: Schemas | null = null;
/** The zod schemas (loads zod on first use). */
export function deviceRulesSchemas(): Schemas {
  return (schemas ??= build(createRequire(import.meta.url)('zod') as typeof Z));
}

/** The parsed file, or what is wrong with it ("rules.0.type: …"). */
export function validateDeviceRules(raw: unknown): DeviceRulesFile | string {
  const parsed = deviceRulesSchemas().DeviceRulesFile.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  return `${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`;
}
