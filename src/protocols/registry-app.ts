/**
 * The application-layer parsers this folder provides (DNS, mDNS, TLS, HTTP, DHCP, SSDP) in
 * one list, so the pipeline wires them with one call and adding a protocol touches one line
 * here. Also the small shapes every parser shares (result type, consumer counters).
 */
import type { AppConsumer, MessageSink } from './types.js';
import { createDnsConsumer, type DnsConsumerOptions } from './dns.js';
import { createMdnsConsumer } from './mdns.js';
import { createTlsConsumer, type TlsConsumerOptions } from './tls.js';
import { createHttpConsumer, type HttpConsumerOptions } from './http.js';
import { createDhcpConsumer } from './dhcp.js';
import { createSsdpConsumer } from './ssdp.js';

export type { AppConsumer, ParseResult } from './types.js';

export interface AppConsumerOptions {
  dns?: DnsConsumerOptions;
  tls?: TlsConsumerOptions;
  http?: HttpConsumerOptions;
}

/**
 * All application-layer consumers of this folder, most specific first: mDNS and DHCP/SSDP
 * claim their ports before the DNS content heuristic, TLS before HTTP.
 */
export function createAppConsumers(sink: MessageSink, opts: AppConsumerOptions = {}): AppConsumer[] {
  return [
    createMdnsConsumer(sink),
    createDhcpConsumer(sink),
    createSsdpConsumer(sink),
    createDnsConsumer(sink, opts.dns),
    createTlsConsumer(sink, opts.tls),
    createHttpConsumer(sink, opts.http),
  ];
}
