/** Files shipped under data/ that campaigns read: templates (data/campaigns/) and format schemas (data/schemas/). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalError } from '../util/errors.js';

let dir: string | null = null;

/** A path under the package's data/ (found from this file in src/, dist/src/ or the bundle). */
export function campaignDataFile(...parts: string[]): string {
  if (!dir) {
    let d = dirname(fileURLToPath(import.meta.url));
    for (let i = 0; i < 6 && !dir; i++) {
      if (existsSync(join(d, 'data', 'campaigns', 'templates'))) dir = join(d, 'data');
      d = dirname(d);
    }
    if (!dir) throw new InternalError('internal.no-data-dir', 'data/campaigns/ not found next to the program (is the package installed whole?)');
  }
  return join(dir, ...parts);
}
