/** HTML text escaping for the self-contained reports (telescope, scanner, trends): every value from the network or the store goes through it. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
