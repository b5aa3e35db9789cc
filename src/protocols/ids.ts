/**
 * Every protocol parser's id, in the order they are offered a new flow. A parser's messages
 * carry its id as their `protocol`. Kept apart from the parsers so the command line can
 * check `--parsers` without loading them; a test holds it equal to the parsers the pipeline
 * builds (protocols/registry-app.ts, then the Stratum, telnet, FTP and Redis consumers).
 */
export const PARSER_IDS = ['mdns', 'dhcp', 'ssdp', 'dns', 'tls', 'http', 'stratum', 'telnet', 'ftp', 'redis'] as const;

export type ParserId = (typeof PARSER_IDS)[number];
