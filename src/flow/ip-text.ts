/**
 * Address text for flow records. Called once per flow (lazily, when someone reads
 * clientIp/serverIp/clientMac), never per packet.
 */

export function ipv4Text(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`;
}

/** RFC 5952 text: lowercase hex, longest run (≥ 2) of zero groups compressed to "::". */
export function ipv6Text(bytes: Uint8Array, offset: number): string {
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let g = 0; g < 8; g++) {
    const zero = bytes[offset + 2 * g] === 0 && bytes[offset + 2 * g + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = g;
      const len = g - runStart + 1;
      if (len > bestLen) { bestLen = len; bestStart = runStart; }
    } else {
      runStart = -1;
    }
  }
  if (bestLen < 2) bestStart = -1;
  // IPv4-mapped (::ffff:a.b.c.d) keeps the dotted tail, as RFC 5952 §5 recommends.
  if (bestStart === 0 && bestLen === 5 && bytes[offset + 10] === 0xff && bytes[offset + 11] === 0xff) {
    return `::ffff:${bytes[offset + 12]}.${bytes[offset + 13]}.${bytes[offset + 14]}.${bytes[offset + 15]}`;
  }
  let out = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      out += '::';
      g += bestLen - 1;
      continue;
    }
    if (out.length > 0 && !out.endsWith(':')) out += ':';
    out += ((bytes[offset + 2 * g] << 8) | bytes[offset + 2 * g + 1]).toString(16);
  }
  return out;
}

const HEX = '0123456789abcdef';

export function macText(bytes: Uint8Array, offset: number): string {
  let out = '';
  for (let i = 0; i < 6; i++) {
    const b = bytes[offset + i];
    if (i > 0) out += ':';
    out += HEX[b >>> 4] + HEX[b & 15];
  }
  return out;
}
