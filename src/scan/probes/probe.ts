/**
 * The service-probe contract, in the spirit of nmap's service probes: each protocol file
 * says which ports it usually lives on (only an ordering hint: on a non-standard port the
 * handshake decides), may recognise a banner the service sends unprompted, and may run its
 * own short dialogue on a fresh connection. Probes never throw on hostile answers: they
 * return null ("not this service") and count what was malformed.
 */
import type { Conversation } from '../conversation.js';
import type { ServiceIdentity } from '../types.js';

export interface ProbeIo {
  readonly host: string;
  readonly port: number;
  /** Per-read timeout for this probe's dialogue. */
  readonly timeoutMs: number;
  /** Open a fresh connection (rate-limited); null when it cannot be opened. */
  open(opts?: { tls?: boolean }): Promise<Conversation | null>;
  /** Count an unexpected or malformed answer by reason ('redis:bad-reply' …). */
  malformed(reason: string): void;
}

export interface ServiceProbe {
  readonly id: string;
  /** Ports where this service usually listens: tried first there. */
  readonly ports: readonly number[];
  /** Only tried on its own ports (costly or rarely elsewhere: UPnP description paths, TLS variants). */
  readonly hintOnly?: boolean;
  /** Recognise a service that speaks first; returning an identity ends identification. */
  fromBanner?(banner: Buffer, io: ProbeIo): ServiceIdentity | null | Promise<ServiceIdentity | null>;
  /** Client-speaks-first dialogue on a fresh connection; null = not this service. */
  probe?(io: ProbeIo): Promise<ServiceIdentity | null>;
}

/** Latin-1 view of bytes for regex matching (keeps byte positions, never throws). */
export function latin1(buf: Buffer, limit = 16384): string {
  return buf.subarray(0, limit).toString('latin1');
}

/** Run a dialogue on a fresh connection, always closing it. */
export async function withConversation<T>(
  io: ProbeIo,
  opts: { tls?: boolean },
  run: (conv: Conversation) => Promise<T | null>,
): Promise<T | null> {
  const conv = await io.open(opts);
  if (!conv) return null;
  try {
    return await run(conv);
  } finally {
    conv.close();
  }
}
