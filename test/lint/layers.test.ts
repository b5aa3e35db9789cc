/**
 * The layering lint rule (eslint.layers.js, used by eslint.config.js) catches a stage that
 * imports a stage above it — statically, through a re-export, or with import() — and lets
 * imports of lower stages and of its own folder through.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';

/** The repository root: the first folder above this file that holds eslint.layers.js. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'eslint.layers.js'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('eslint.layers.js not found above the test');
    dir = up;
  }
  return dir;
}

const root = repoRoot();

async function lint(file: string, code: string): Promise<string[]> {
  const { layerConfigs } = await import(pathToFileURL(resolve(root, 'eslint.layers.js')).href) as { layerConfigs: () => Linter.Config[] };
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser as Linter.Parser } }, ...layerConfigs()],
  });
  const [r] = await eslint.lintText(code, { filePath: join(root, file) });
  return r.messages.map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
}

void test('scan → cli is an error (the violation issue 14 names)', async () => {
  const msgs = await lint('src/scan/x.ts', "import { formatError } from '../cli/errors.js';\nexport const f = formatError;\n");
  assert.equal(msgs.length, 1, msgs.join('\n'));
  assert.match(msgs[0], /^no-restricted-imports: .*layering: src\/scan\/ may import only stages below it/);
});

void test('re-exports and dynamic import() from a nested folder are caught too', async () => {
  const msgs = await lint('src/scan/checks/y.ts', "export { analyze } from '../../pipeline/analyze.js';\nexport const m = await import('../../cli/main.js');\n");
  assert.deepEqual(msgs.map((m) => m.split(':')[0]).sort(), ['no-restricted-imports', 'no-restricted-syntax']);
});

void test('lower stages, its own folder, util and events pass', async () => {
  const code = [
    "import { parseCidr } from '../decode/address.js';",
    "import { expandTargets } from './targets.js';",
    "import { UsageError } from '../util/errors.js';",
    "import type { AlertEvent } from '../events/eve.js';",
    'export const all = [parseCidr, expandTargets, UsageError] as unknown as AlertEvent;',
  ].join('\n');
  assert.deepEqual(await lint('src/scan/z.ts', code), []);
  // the bottom stage may import nothing above it
  assert.equal((await lint('src/util/z.ts', "import { x } from '../events/eve.js';\nexport const y = x;\n")).length, 1);
  // the top stage may import anything
  assert.deepEqual(await lint('src/cli/z.ts', "import { scan } from '../scan/scanner.js';\nexport const s = scan;\n"), []);
});
