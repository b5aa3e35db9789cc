/**
 * From host records and contacts to package files on disk: group by recipient, render the
 * chosen formats, write each file atomically under the output directory. The generation time
 * defaults to the latest `lastSeen` of the input, so the same input gives byte-identical files.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Contacts, RouteBy } from './contacts.js';
import { buildPackage, type PackageFormat } from './formats/index.js';
import { groupHosts, type Grouping } from './grouping.js';
import type { InfectedHost, PackageContext, PackageFile, RecipientPackage } from './types.js';

export interface PackageOptions {
  campaign: string;
  by: RouteBy;
  formats: readonly PackageFormat[];
  feedName?: string;
  /** Overrides the default (latest lastSeen). */
  generatedAt?: string;
}

export interface BuiltPackages {
  context: PackageContext;
  grouping: Grouping;
  packages: { pkg: RecipientPackage; files: PackageFile[] }[];
}

export function latestSeen(hosts: readonly InfectedHost[]): string {
  let t = 0;
  for (const h of hosts) t = Math.max(t, Date.parse(h.lastSeen));
  return new Date(t).toISOString();
}

export function buildPackages(hosts: readonly InfectedHost[], contacts: Contacts, opts: PackageOptions): BuiltPackages {
  const context: PackageContext = {
    campaign: opts.campaign,
    reporter: contacts.reporter,
    generatedAt: opts.generatedAt ?? latestSeen(hosts),
    feedName: opts.feedName ?? `minewatch-${opts.campaign}`,
  };
  const grouping = groupHosts(hosts, contacts, opts.by);
  return { context, grouping, packages: grouping.packages.map((pkg) => ({ pkg, files: buildPackage(pkg, context, opts.formats) })) };
}

export function writePackageFiles(outDir: string, files: readonly PackageFile[]): string[] {
  const written: string[] = [];
  for (const f of files) {
    const path = join(outDir, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic(path, f.content);
    written.push(path);
  }
  return written;
}
