/**
 * E-mail templates: text files `data/campaigns/templates/<lang>.txt` (or a directory the user
 * gives), a `Subject:` line, a blank line, then the body, with `{{name}}` placeholders. The
 * recipient's language picks the file (`pt-BR` → pt-br.txt → pt.txt), English is the fallback.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../util/errors.js';
import { campaignDataFile } from './data.js';

export interface Template {
  language: string;
  subject: string;
  body: string;
  path: string;
}

export function templatesDir(): string {
  return campaignDataFile('campaigns', 'templates');
}

export function parseTemplate(text: string, path: string, language: string): Template {
  const t = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  const m = /^Subject:[ \t]*(.*)\n\n/.exec(t);
  if (!m || m[1].trim() === '') throw new ConfigError('config.bad-template', `${path}: a template starts with "Subject: …" and a blank line before the body`, { subject: path });
  return { language, subject: m[1].trim(), body: t.slice(m[0].length), path };
}

/** The template for a language, falling back to the base language and then English. */
export function loadTemplate(language: string, dir: string = templatesDir()): Template {
  const lang = language.toLowerCase();
  const tries = [...new Set([lang, lang.split('-')[0], 'en'])];
  for (const l of tries) {
    const path = join(dir, `${l}.txt`);
    if (existsSync(path)) return parseTemplate(readFileSync(path, 'utf8'), path, l);
  }
  throw new ConfigError('config.no-template', `${dir}: no template for "${language}" and no en.txt fallback`, { subject: dir });
}

/** Replaces {{name}}; an unknown placeholder is left visible so a typo shows in the dry run. */
export function render(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{([a-z_]+)\}\}/g, (all, k: string) => (k in values ? values[k] : all));
}
