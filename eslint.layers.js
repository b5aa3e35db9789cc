// The stage layering as lint rules: a stage under src/ imports only the stages below it
// (util and events are the bottom). One override per stage is generated from the order list,
// forbidding every stage above it, for static imports/exports (no-restricted-imports) and
// dynamic import() (no-restricted-syntax). Used by eslint.config.js and by the test that
// shows the rule catching a violation (test/lint/layers.test.ts).

/** Low → high. Keep in step with docs/architecture.md. */
export const STAGES = [
  'util', 'events', 'match', 'store', 'transport', 'capture', 'decode', 'flow', 'protocols', 'rules',
  'detect', 'devices', 'telescope', 'scan', 'synth', 'pipeline', 'campaigns', 'server', 'web', 'cli',
];

/** A relative specifier that climbs out of the file's folder into one of `stages`. */
function climbInto(stages) {
  return `^(\\.\\./)+(${stages.join('|')})(/|\\.js$|$)`;
}

export function layerConfigs(stages = STAGES) {
  return stages.slice(0, -1).map((stage, i) => {
    const above = stages.slice(i + 1);
    const message = `layering: src/${stage}/ may import only stages below it (${stages.slice(0, i).join(', ') || 'none'}), not ${above.join(', ')}`;
    const regex = climbInto(above);
    return {
      files: [`src/${stage}/**/*.ts`],
      rules: {
        'no-restricted-imports': ['error', { patterns: [{ regex, message }] }],
        'no-restricted-syntax': ['error', {
          selector: `ImportExpression[source.value=/${regex.replace(/\//g, '\\/')}/]`,
          message,
        }],
      },
    };
  });
}
