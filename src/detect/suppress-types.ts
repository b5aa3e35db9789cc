/**
 * The shape of a suppression file (`--suppress`): plain types, apart from the zod schema
 * (suppress-config.ts, which validates a file against them) and the matcher (suppress.ts),
 * so neither of those imports the other's module for its types.
 */

/** One exception: an alert matches when ALL the fields the rule sets match (see suppress.ts). */
export interface SuppressionRule {
  device?: string;
  host?: string;
  domain?: string;
  detector?: string;
  signatureId?: number;
  /** Why (shown in the summary: "12 alerts suppressed by rule 2 (my own miner)"). */
  reason: string;
}

export interface SuppressionConfig {
  rules: SuppressionRule[];
}
