/**
 * What every parser of this folder shares: the message contract (events/messages.ts, which
 * defines the fields of every message; re-exported here for the parsers), the typed `message`
 * constructor, the sink messages go to, the parse-result type and the consumer shape.
 * Parsers import these from here, never from each other or from a registry.
 */
import type { DirectionValue, FlowView } from '../events/flow.js';
import type { ReasonCounter } from '../events/counters.js';
import type { StreamConsumer } from '../events/stream.js';
import type { MessageFields, MessageKind, ProtocolId, ProtocolMessage } from '../events/messages.js';

export type {
  DnsAnswer, DnsFields, MdnsFields, MdnsHints, TlsClientHelloFields, TlsServerHelloFields, TlsCertificateFields,
  HttpRequestFields, HttpResponseFields, WebSocketUpgradeFields, WebSocketFrameFields, LoginAttemptFields,
  TelnetCommandFields, SshConnectionFields, RedisCommandFields, RedisReplyFields, StratumDialect, StratumFields, DhcpFields, DhcpKind, SsdpFields, NetbiosFields,
  ProtocolId, ProtocolMessage,
} from '../events/messages.js';

/** Where a parser sends what it parsed. */
export type MessageSink = (flow: FlowView, msg: ProtocolMessage) => void;

/**
 * A message of `protocol` and `kind` with exactly the fields the contract declares for them:
 * a parser that emits other fields does not compile.
 */
export function message<P extends ProtocolId, K extends MessageKind<P>>(protocol: P, kind: K, dir: DirectionValue, tsUs: number, fields: MessageFields<P, K>): ProtocolMessage {
  return { protocol, kind, dir, tsUs, fields } as unknown as ProtocolMessage;
}

/** What a pure parser returns: a value, or a typed reason why the input was malformed. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A stream consumer that also reports what it parsed and what it could not. */
export interface AppConsumer extends StreamConsumer {
  /** Malformed or dropped input by reason. */
  readonly malformed: ReasonCounter;
  /** Messages emitted by kind. */
  readonly stats: ReasonCounter;
}
