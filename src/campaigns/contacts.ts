/**
 * Recipients: the contacts file the user maintains (JSON, read through util/config.ts so a
 * mistake names the file and the field) and the import of RIPE/APNIC-style abuse-contact CSV
 * exports into its `asAbuse` list.
 *
 * Contacts file:
 * ```json
 * { "reporter": { "org": "Example CERT", "email": "notify@cert.example", "domain": "cert.example" },
 *   "certs":   [ { "country": "JP", "name": "JPCERT/CC", "email": "info@jpcert.or.jp", "language": "ja" } ],
 *   "asAbuse": [ { "asn": 64500, "name": "Example ISP", "email": "abuse@isp.example", "language": "en" } ],
 *   "owners":  [ { "organisation": "Example University", "email": "soc@uni.example", "language": "en" } ] }
 * ```
 * `owners` are the contacts of organisations on a telescope watch list (owner alerts, owner-alerts.ts):
 * `organisation` is the name the watch list gives; an organisation may have several.
 */
import { z } from 'zod';
import { readJsonConfig } from '../util/config.js';
import type { Recipient, Reporter } from './types.js';

const email = z.string().regex(/^[^\s@<>(),;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/, 'an e-mail address (user@example.org)');
const language = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a language tag such as en, ja, pt-BR').default('en');
const domain = z.string().regex(/^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/, 'a domain name (example.org)');

export const CertContact = z.object({
  country: z.string().regex(/^[A-Z]{2}$/, 'a two-letter country code, upper case'),
  name: z.string().min(1).max(200),
  email,
  language,
  domain: domain.optional(),
}).strict();

export const AsAbuseContact = z.object({
  asn: z.number().int().min(1).max(4294967295),
  name: z.string().min(1).max(200).optional(),
  email,
  language,
  country: z.string().regex(/^[A-Z]{2}$/).optional(),
  domain: domain.optional(),
}).strict();
export type AsAbuseContact = z.infer<typeof AsAbuseContact>;
export type CertContact = z.infer<typeof CertContact>;

export const OwnerContact = z.object({
  organisation: z.string().min(1).max(200),
  email,
  name: z.string().min(1).max(200).optional(),
  language,
}).strict();
export type OwnerContact = z.infer<typeof OwnerContact>;

export const ContactsFile = z.object({
  reporter: z.object({ org: z.string().min(1).max(200), email, domain }).strict(),
  certs: z.array(CertContact).default([]),
  asAbuse: z.array(AsAbuseContact).default([]),
  owners: z.array(OwnerContact).default([]),
}).strict().superRefine((c, ctx) => {
  const seen = new Set<string>();
  c.certs.forEach((x, i) => {
    if (seen.has(x.country)) ctx.addIssue({ code: 'custom', message: `second CERT for ${x.country}`, path: ['certs', i, 'country'] });
    seen.add(x.country);
  });
  const asns = new Set<number>();
  c.asAbuse.forEach((x, i) => {
    if (asns.has(x.asn)) ctx.addIssue({ code: 'custom', message: `second abuse contact for AS${x.asn}`, path: ['asAbuse', i, 'asn'] });
    asns.add(x.asn);
  });
});
export type ContactsFile = z.infer<typeof ContactsFile>;

export function readContactsFile(path: string, option = '--contacts'): ContactsFile {
  return readJsonConfig(path, ContactsFile, option);
}

export type RouteBy = 'cert' | 'as';

/** Contacts indexed for routing. */
export class Contacts {
  readonly reporter: Reporter;
  private readonly certs = new Map<string, Recipient>();
  private readonly ases = new Map<number, Recipient>();
  private readonly owners = new Map<string, OwnerContact[]>();

  constructor(file: ContactsFile) {
    this.reporter = file.reporter;
    for (const o of file.owners ?? []) {
      const list = this.owners.get(o.organisation) ?? [];
      if (!list.some((x) => x.email.toLowerCase() === o.email.toLowerCase())) list.push(o);
      this.owners.set(o.organisation, list);
    }
    for (const c of file.certs) {
      this.certs.set(c.country, { id: `cert:${c.country}`, kind: 'cert', name: c.name, email: c.email, language: c.language, country: c.country, domain: c.domain ?? domainOf(c.email) });
    }
    for (const a of file.asAbuse) {
      this.ases.set(a.asn, { id: `as:${a.asn}`, kind: 'as-abuse', name: a.name ?? `AS${a.asn}`, email: a.email, language: a.language, asn: a.asn, country: a.country, domain: a.domain ?? domainOf(a.email) });
    }
  }

  certFor(country: string | undefined): Recipient | undefined {
    return country ? this.certs.get(country) : undefined;
  }

  asFor(asn: number | undefined): Recipient | undefined {
    return asn === undefined ? undefined : this.ases.get(asn);
  }

  /** The contacts of a watched organisation (by its watch-list name), in file order; empty when none. */
  ownersOf(organisation: string): readonly OwnerContact[] {
    return this.owners.get(organisation) ?? [];
  }
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

// ---------------------------------------------------------------------------------------
// RIPE/APNIC-style abuse-contact CSV

/**
 * Accepted header names (case-insensitive; `-`, `_` and spaces ignored), first match wins:
 * - AS number (required): `aut-num`, `asn`, `as`, `origin`, `origin-as` — "AS64500" or "64500"
 * - abuse e-mail (required): `abuse-mailbox`, `abuse-email`, `abuse`, `email`, `e-mail`, and
 *   `abuse-c` when its value is an address (RIPE's abuse-c is normally a role handle: resolve it
 *   to the role's abuse-mailbox first)
 * - name: `org-name`, `as-name`, `name`, `netname`, `descr`, `org`
 * - country: `country`, `cc`
 * - language: `language`, `lang`
 * Other columns (`inetnum`, `inet6num`, `source`, …) are ignored. Several addresses in one cell
 * (separated by `,` `;` or spaces) → the first valid one. Rows that lack an AS or an address,
 * and repeated ASes, are skipped and reported, never fatal.
 */
const COLUMN_ALIASES: Record<'asn' | 'email' | 'name' | 'country' | 'language', string[]> = {
  asn: ['autnum', 'asn', 'as', 'origin', 'originas'],
  email: ['abusemailbox', 'abuseemail', 'abuse', 'email', 'abusec'],
  name: ['orgname', 'asname', 'name', 'netname', 'descr', 'org'],
  country: ['country', 'cc'],
  language: ['language', 'lang'],
};

export interface CsvImportResult {
  contacts: AsAbuseContact[];
  skipped: { line: number; reason: string }[];
  /** Which CSV column fed each field. */
  columns: Partial<Record<keyof typeof COLUMN_ALIASES, string>>;
}

/** RFC 4180 CSV (quotes, doubled quotes, CRLF); returns rows with their 1-based line numbers. */
export function parseCsv(text: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
      continue;
    }
    if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      cells.push(cell);
      if (cells.some((c) => c !== '')) rows.push({ line: rowLine, cells });
      cells = [];
      cell = '';
      line++;
      rowLine = line;
    } else cell += ch;
  }
  cells.push(cell);
  if (cells.some((c) => c !== '')) rows.push({ line: rowLine, cells });
  return rows;
}

const norm = (h: string): string => h.trim().toLowerCase().replace(/[-_\s#]/g, '');

export function importAbuseContactsCsv(text: string, defaultLanguage = 'en'): CsvImportResult {
  const rows = parseCsv(text.replace(/^\uFEFF/, ''));
  const result: CsvImportResult = { contacts: [], skipped: [], columns: {} };
  const header = rows.shift();
  if (!header) return result;
  const names = header.cells.map(norm);
  const index: Partial<Record<keyof typeof COLUMN_ALIASES, number>> = {};
  for (const field of Object.keys(COLUMN_ALIASES) as (keyof typeof COLUMN_ALIASES)[]) {
    for (const alias of COLUMN_ALIASES[field]) {
      const i = names.indexOf(alias);
      if (i >= 0) {
        index[field] = i;
        result.columns[field] = header.cells[i].trim();
        break;
      }
    }
  }
  if (index.asn === undefined || index.email === undefined) {
    result.skipped.push({ line: header.line, reason: `header needs an AS column (aut-num, asn, origin) and an abuse address column (abuse-mailbox, abuse-email, email); got ${header.cells.map((c) => c.trim()).join(', ')}` });
    return result;
  }
  const seen = new Set<number>();
  for (const row of rows) {
    const get = (f: keyof typeof COLUMN_ALIASES): string | undefined => (index[f] === undefined ? undefined : row.cells[index[f]!]?.trim() || undefined);
    const asText = get('asn');
    const m = asText ? /^(?:AS)?(\d{1,10})$/i.exec(asText) : null;
    const asn = m ? Number(m[1]) : NaN;
    if (!m || asn < 1 || asn > 4294967295) {
      result.skipped.push({ line: row.line, reason: asText ? `not an AS number: "${asText.slice(0, 40)}"` : 'no AS number' });
      continue;
    }
    const addr = (get('email') ?? '').split(/[\s,;]+/).find((a) => email.safeParse(a).success);
    if (!addr) {
      result.skipped.push({ line: row.line, reason: `AS${asn}: no valid abuse address` });
      continue;
    }
    if (seen.has(asn)) {
      result.skipped.push({ line: row.line, reason: `AS${asn}: repeated (first row kept)` });
      continue;
    }
    const cc = get('country')?.toUpperCase();
    const lang = get('language')?.toLowerCase();
    const parsed = AsAbuseContact.safeParse({
      asn,
      email: addr,
      name: get('name')?.slice(0, 200),
      country: cc && /^[A-Z]{2}$/.test(cc) ? cc : undefined,
      language: lang && language.safeParse(lang).success ? lang : defaultLanguage,
    });
    if (!parsed.success) {
      result.skipped.push({ line: row.line, reason: `AS${asn}: ${parsed.error.issues[0]?.message ?? 'invalid'}` });
      continue;
    }
    seen.add(asn);
    result.contacts.push(parsed.data);
  }
  return result;
}

/** Adds imported AS contacts to a contacts file; entries already in the file win. */
export function mergeAsContacts(file: ContactsFile, imported: readonly AsAbuseContact[]): ContactsFile {
  const have = new Set(file.asAbuse.map((a) => a.asn));
  return { ...file, asAbuse: [...file.asAbuse, ...imported.filter((a) => !have.has(a.asn))].sort((a, b) => a.asn - b.asn) };
}
