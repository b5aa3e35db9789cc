/**
 * What a file reader reports besides frames: drops by reason, skipped blocks, and bounded
 * user-facing warnings (a garbage-filled file must not grow the warning list without end).
 */
import type { ReasonCounter } from '../events/counters.js';

export const MAX_WARNINGS = 100;

export class ReaderContext {
  file = '';

  constructor(
    readonly malformed: ReasonCounter,
    readonly skipped: ReasonCounter,
    readonly warnings: string[],
  ) {}

  warn(message: string): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(`${this.file}: ${message}`);
    else if (this.warnings.length === MAX_WARNINGS) this.warnings.push('further warnings suppressed');
  }
}
