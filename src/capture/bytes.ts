/**
 * Unsigned integer reads from capture bytes in either byte order. Small enough for V8 to
 * inline into the record loops; no DataView or Buffer method call per field.
 */
export function rd32(b: Uint8Array, p: number, le: boolean): number {
  return le
    ? (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0
    : ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

export function rd16(b: Uint8Array, p: number, le: boolean): number {
  return le ? b[p] | (b[p + 1] << 8) : (b[p] << 8) | b[p + 1];
}

/** The first four bytes as a big-endian hex word, for "wrong magic" messages. */
export function magicHex(b: Uint8Array): string {
  let v = 0;
  for (let i = 0; i < 4; i++) v = v * 256 + (i < b.length ? b[i] : 0);
  return '0x' + v.toString(16).padStart(8, '0');
}
