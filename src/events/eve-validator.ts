/**
 * The collector's per-event check, compiled once: one Ajv validator per event type, generated
 * from the JSON Schema the zod schemas of eve.ts produce (the same `z.toJSONSchema` that
 * `minewatch schema eve` prints), so the zod schemas stay the one definition. Ajv's compiled
 * code checks an event in well under a microsecond where zod's `safeParse` took ~25 µs
 * (BENCHMARKS.md, "collector"). Only for an event Ajv refuses are the reasons built, by zod
 * from the same schema, so they read exactly as before (`path: message`).
 *
 * Equivalence with zod is a property test (test/events/eve-validator.test.ts). Known and
 * intended differences: none on JSON input (string lengths count code points in both, as the
 * property test's emoji cases check); `default` keywords are annotations only (the collector
 * stores events as received, it never fills defaults), and OtherEveEvent's refinement is
 * covered by the dispatch on event_type.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { z } from 'zod';
import { EVE_SCHEMAS, OtherEveEvent } from './eve.js';

type Check = (e: unknown) => boolean;
type EveType = keyof typeof EVE_SCHEMAS;

export interface EveValidator {
  /** True when the event is valid under its event_type's schema (or OtherEveEvent for other types). */
  valid(e: unknown): boolean;
  /** Up to `max` reasons `path: message` (empty when valid). */
  reasons(e: unknown, max?: number): string[];
}

function schemaFor(type: unknown): z.ZodType {
  return typeof type === 'string' && Object.hasOwn(EVE_SCHEMAS, type) ? EVE_SCHEMAS[type as EveType] : OtherEveEvent;
}

/** The JSON Schema of one zod schema as Ajv compiles it (the wire/input side, as `schema eve`). */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete s.$schema; // Ajv2020 is the draft
  return s;
}

/** Compiles the validators (a few ms); call once at start-up and keep the result. */
export function compileEveValidator(): EveValidator {
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: false, code: { optimize: true } });
  const byType = new Map<string, Check>();
  for (const [type, schema] of Object.entries(EVE_SCHEMAS)) byType.set(type, ajv.compile(jsonSchemaOf(schema)) as Check);
  // OtherEveEvent's refinement (not a known type) is not representable in JSON Schema; the
  // dispatch below only uses it for types that are not known, where it always holds
  const other = ajv.compile(jsonSchemaOf(OtherEveEvent)) as Check;
  const valid = (e: unknown): boolean => {
    if (e === null || typeof e !== 'object' || Array.isArray(e)) return false;
    const type = (e as { event_type?: unknown }).event_type;
    const check = typeof type === 'string' ? (byType.get(type) ?? other) : other;
    return check(e);
  };
  return {
    valid,
    reasons(e: unknown, max = 5): string[] {
      if (valid(e)) return [];
      const r = schemaFor((e as { event_type?: unknown } | null)?.event_type).safeParse(e);
      if (r.success) return ['(event): does not match the event schema'];
      return r.error.issues.slice(0, max).map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`.slice(0, 200));
    },
  };
}
