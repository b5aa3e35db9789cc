/**
 * Mirai's default-credential dictionary: the user/password pairs its scanner tries, from
 * the public source release (jgamblin/Mirai-Source-Code, mirai/bot/scanner.c,
 * `add_auth_entry` calls, stored there XOR-obfuscated with 0x22; listed here decoded). The
 * source has 62 entries; guest:12345 appears twice, so 61 distinct pairs. Note its comments
 * say admin/1234 twice, but the second entry's bytes decode to admin/4321.
 * Used to flag telnet brute force that matches Mirai's list.
 */
export const MIRAI_CREDENTIALS: readonly (readonly [string, string])[] = [
  ['root', 'xc3511'], ['root', 'vizxv'], ['root', 'admin'], ['admin', 'admin'], ['root', '888888'],
  ['root', 'xmhdipc'], ['root', 'default'], ['root', 'juantech'], ['root', '123456'], ['root', '54321'],
  ['support', 'support'], ['root', ''], ['admin', 'password'], ['root', 'root'], ['root', '12345'],
  ['user', 'user'], ['admin', ''], ['root', 'pass'], ['admin', 'admin1234'], ['root', '1111'],
  ['admin', 'smcadmin'], ['admin', '1111'], ['root', '666666'], ['root', 'password'], ['root', '1234'],
  ['root', 'klv123'], ['Administrator', 'admin'], ['service', 'service'], ['supervisor', 'supervisor'],
  ['guest', 'guest'], ['guest', '12345'], ['admin1', 'password'], ['administrator', '1234'],
  ['666666', '666666'], ['888888', '888888'], ['ubnt', 'ubnt'], ['root', 'klv1234'], ['root', 'Zte521'],
  ['root', 'hi3518'], ['root', 'jvbzd'], ['root', 'anko'], ['root', 'zlxx.'], ['root', '7ujMko0vizxv'],
  ['root', '7ujMko0admin'], ['root', 'system'], ['root', 'ikwb'], ['root', 'dreambox'], ['root', 'user'],
  ['root', 'realtek'], ['root', '00000000'], ['admin', '1111111'], ['admin', '1234'], ['admin', '12345'],
  ['admin', '54321'], ['admin', '123456'], ['admin', '7ujMko0admin'], ['admin', '4321'], ['admin', 'pass'], ['admin', 'meinsm'],
  ['tech', 'tech'], ['mother', 'fucker'],
];

const SET = new Set(MIRAI_CREDENTIALS.map(([u, p]) => `${u}\u0000${p}`));

export function isMiraiCredential(user: string, password: string): boolean {
  return SET.has(`${user}\u0000${password}`);
}
