/** The package formats, one file each; `buildPackage` renders a recipient package in the chosen formats. */
import type { PackageContext, PackageFile, RecipientPackage } from '../types.js';
import { fileStem } from './common.js';
import { intelmqPackage } from './intelmq.js';
import { iodefPackage } from './iodef.js';
import { mispPackage } from './misp.js';
import { shadowserverPackage } from './shadowserver.js';
import { stixPackage } from './stix.js';
import { xarfPackage } from './xarf.js';

export const PACKAGE_FORMATS = ['intelmq', 'shadowserver', 'xarf', 'iodef', 'stix', 'misp'] as const;
export type PackageFormat = (typeof PACKAGE_FORMATS)[number];

const RENDER: Record<PackageFormat, (pkg: RecipientPackage, ctx: PackageContext, stem: string) => PackageFile[]> = {
  intelmq: intelmqPackage,
  shadowserver: shadowserverPackage,
  xarf: xarfPackage,
  iodef: iodefPackage,
  stix: stixPackage,
  misp: mispPackage,
};

export function isPackageFormat(s: string): s is PackageFormat {
  return (PACKAGE_FORMATS as readonly string[]).includes(s);
}

/** The files of one recipient's package, named `<recipient>.<format>.<ext>` (MISP: a `<recipient>.misp/` directory). */
export function buildPackage(pkg: RecipientPackage, ctx: PackageContext, formats: readonly PackageFormat[]): PackageFile[] {
  const stem = fileStem(pkg.recipient.id);
  return formats.flatMap((f) => RENDER[f](pkg, ctx, stem));
}
