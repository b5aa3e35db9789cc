/**
 * Every protocol parser of this folder, one factory each. Which of them run, in what order,
 * and with which options is decided in one place: the component registry
 * (src/pipeline/components.ts), which loads this module only when detection runs.
 */
export { createMdnsConsumer } from './mdns.js';
export { createDhcpConsumer } from './dhcp.js';
export { createSsdpConsumer } from './ssdp.js';
export { createNetbiosConsumer } from './netbios.js';
export { createDnsConsumer, parseDns, type DnsConsumerOptions } from './dns.js';
export { createTlsConsumer, type TlsConsumerOptions } from './tls.js';
export { createHttpConsumer, type HttpConsumerOptions } from './http.js';
export { createStratumConsumer } from './stratum.js';
export { createTelnetConsumer } from './telnet.js';
export { createFtpConsumer } from './ftp.js';
export { createSshConsumer } from './ssh.js';
export { createRedisConsumer } from './redis.js';
export type { AppConsumer, MessageSink, ParseResult } from './types.js';
