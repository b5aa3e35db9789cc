/**
 * The suppression file's schema and validation (zod), apart from suppress.ts so that the
 * detectors load without the schema library when no --suppress file is given.
 */
import { z } from 'zod';
import { ipMatcher } from './suppress.js';
import { invalidConfig, readJsonConfig } from '../util/config.js';
import type { SuppressionConfig as SuppressionConfigShape, SuppressionRule as SuppressionRuleShape } from './suppress-types.js';

export const SuppressionRule: z.ZodType<SuppressionRuleShape> = z.object({
  device: z.string().optional(),
  host: z.string().optional(),
  domain: z.string().optional(),
  detector: z.string().optional(),
  signatureId: z.number().int().optional(),
  reason: z.string().min(1),
}).refine((r) => r.device !== undefined || r.host !== undefined || r.domain !== undefined || r.detector !== undefined || r.signatureId !== undefined, {
  message: 'a suppression rule needs at least one of device, host, domain, detector, signatureId',
});
export const SuppressionConfig: z.ZodType<SuppressionConfigShape> = z.object({ rules: z.array(SuppressionRule) });
export type SuppressionRule = SuppressionRuleShape;
export type SuppressionConfig = SuppressionConfigShape;

/** Validate a config object (e.g. parsed from JSON); throws a zod error with the path on mistakes. */
export function parseSuppressionConfig(input: unknown): SuppressionConfig {
  const cfg = SuppressionConfig.parse(input);
  for (const [i, r] of cfg.rules.entries()) {
    if (r.host !== undefined && ipMatcher(r.host) === null) throw new Error(`suppression rule ${i}: host "${r.host}" is not an IP address or CIDR`);
  }
  return cfg;
}

/** Reads and validates a suppression file; ConfigError (exit 2) naming the file and the first problem. */
export function readSuppressionConfig(path: string, option = '--suppress'): SuppressionConfig {
  const cfg = readJsonConfig(path, SuppressionConfig, option);
  for (const [i, r] of cfg.rules.entries()) {
    if (r.host !== undefined && ipMatcher(r.host) === null) throw invalidConfig(path, `rules.${i}.host`, `"${r.host}" is not an IP address or CIDR`, option);
  }
  return cfg;
}
