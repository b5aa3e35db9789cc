/** Telnet login dialogue of a BusyBox device, as Mirai-family brute forcers see it. */

/** IAC DO/WILL negotiation a BusyBox telnetd sends first (echo, suppress-go-ahead, terminal type). */
export const TELNET_NEGOTIATION = Buffer.from([255, 251, 1, 255, 251, 3, 255, 253, 24, 255, 253, 31]);
/** The client's IAC replies. */
export const TELNET_CLIENT_NEGOTIATION = Buffer.from([255, 253, 1, 255, 253, 3, 255, 252, 24, 255, 252, 31]);

/** Mirai's default credential list (a subset, from its scanner table). */
export const MIRAI_CREDENTIALS: [string, string][] = [
  ['root', 'xc3511'], ['root', 'vizxv'], ['admin', 'admin'], ['root', 'admin'], ['root', '888888'], ['root', 'xmhdipc'],
  ['root', 'default'], ['root', 'juantech'], ['root', '123456'], ['root', '54321'], ['support', 'support'], ['root', ''],
  ['admin', 'password'], ['root', 'root'], ['root', '12345'], ['user', 'user'], ['admin', ''], ['root', 'pass'],
  ['admin', 'admin1234'], ['root', '1111'], ['admin', 'smcadmin'], ['root', '666666'], ['root', 'password'], ['root', '1234'],
  ['root', 'klv123'], ['Administrator', 'admin'], ['service', 'service'], ['supervisor', 'supervisor'], ['guest', 'guest'],
  ['guest', '12345'], ['admin1', 'password'], ['administrator', '1234'], ['666666', '666666'], ['888888', '888888'],
  ['ubnt', 'ubnt'], ['root', 'klv1234'], ['root', 'Zte521'], ['root', 'hi3518'], ['root', 'jvbzd'], ['root', 'anko'],
  ['root', 'zlxx.'], ['root', '7ujMko0vizxv'], ['root', '7ujMko0admin'], ['root', 'system'], ['root', 'ikwb'], ['root', 'dreambox'],
  ['root', 'user'], ['root', 'realtek'], ['root', '00000000'], ['admin', '1111111'], ['admin', '1234'], ['admin', '12345'],
  ['admin', '54321'], ['admin', '123456'], ['admin', '7ujMko0admin'], ['admin', 'pass'], ['admin', 'meinsm'], ['tech', 'tech'],
  ['mother', 'fucker'],
];

/** Commands Mirai sends after a successful login to check for a BusyBox shell. */
export const MIRAI_POST_LOGIN = ['enable', 'system', 'shell', 'sh', '/bin/busybox MIRAI'];

export const text = (s: string): Buffer => Buffer.from(s, 'latin1');
