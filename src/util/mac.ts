/** MAC address text: the one formatter (lowercase, colon-separated, two digits a byte). */

const HEX = '0123456789abcdef';

/** Text of the 6 bytes at buf[off]; '' when they are not all inside buf (no link layer). */
export function formatMac(buf: Uint8Array, off = 0): string {
  if (off < 0 || off + 6 > buf.length) return '';
  let s = '';
  for (let i = 0; i < 6; i++) {
    const b = buf[off + i];
    if (i > 0) s += ':';
    s += HEX[b >> 4] + HEX[b & 15];
  }
  return s;
}
