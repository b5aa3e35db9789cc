/** Evidence of a rule hit: where each positive content or pcre matched, the fast pattern's match first. */
import { BUFFER_NAMES } from './parser.js';
import type { CompiledRule, ContentInspector } from './content.js';

export function buildEvidence(c: CompiledRule, ins: ContentInspector, slotBuf: readonly (Uint8Array | null)[], slotStart: Int32Array, evidenceBytes: number): Record<string, unknown> {
  const matches: { buffer: string; offset: number; length: number; text: string; hex: string }[] = [];
  let primary = -1;
  const fp = c.rule.fastPattern;
  for (const g of c.groups) {
    for (const { op, index } of g.ops) {
      if ((op.kind !== 'content' && op.kind !== 'pcre') || op.negated) continue;
      const id = ins.posBuf[index];
      const buf = slotBuf[id]!;
      const s = ins.posStart[index];
      const e = ins.posEnd[index];
      const base = slotStart[id];
      const shown = buf.subarray(base + s, base + Math.min(e, s + evidenceBytes));
      if (op.kind === 'content' && fp && op.bytes === fp.bytes) primary = matches.length;
      if (matches.length < 6) {
        matches.push({ buffer: BUFFER_NAMES[id], offset: s, length: e - s, text: printable(shown), hex: Buffer.from(shown).toString('hex') });
      }
    }
  }
  const p = matches[primary >= 0 ? primary : 0];
  const ev: Record<string, unknown> = {};
  if (p) {
    ev.buffer = p.buffer;
    ev.offset = p.offset;
    ev.matched = p.text;
    ev.matched_hex = p.hex;
  } else {
    ev.buffer = c.groups[0] ? BUFFER_NAMES[c.groups[0].bufferId] : 'none';
  }
  ev.matches = matches;
  ev.rule_sid = c.rule.sid;
  return ev;
}

/** Bytes as text with non-printables as '.', for evidence. */
export function printable(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
  return s;
}
