/**
 * MQTT 3.1.1: we write the CONNECT packet ourselves and read CONNACK. Return code 0 without
 * credentials means anonymous access; 4/5 mean credentials are required. When anonymous,
 * a short SUBSCRIBE to $SYS/broker/version names the broker (Mosquitto publishes it).
 */
import type { Conversation } from '../conversation.js';
import type { ServiceIdentity } from '../types.js';
import { withConversation, type ProbeIo, type ServiceProbe } from './probe.js';

function utf8Field(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/** MQTT 3.1.1 CONNECT with clean session, optional username/password. */
export function buildConnect(clientId: string, username?: string, password?: string): Buffer {
  let flags = 0x02;
  const payload = [utf8Field(clientId)];
  if (username !== undefined) {
    flags |= 0x80;
    payload.push(utf8Field(username));
    if (password !== undefined) {
      flags |= 0x40;
      payload.push(utf8Field(password));
    }
  }
  const variable = Buffer.concat([utf8Field('MQTT'), Buffer.from([4, flags, 0, 30])]);
  const body = Buffer.concat([variable, ...payload]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** CONNACK return code (0 accepted … 5 not authorised), or a malformed reason. */
export function parseConnack(buf: Buffer): number | 'incomplete' | 'not-connack' {
  if (buf.length < 4) return buf.length > 0 && buf[0] !== 0x20 ? 'not-connack' : 'incomplete';
  if (buf[0] !== 0x20 || buf[1] !== 0x02) return 'not-connack';
  return buf[3];
}

export const CONNACK_MEANING: Record<number, string> = {
  0: 'accepted',
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad username or password',
  5: 'not authorised',
};

/** CONNECT on an open conversation; the CONNACK code or null when the peer is not MQTT. */
export async function mqttConnect(conv: Conversation, timeoutMs: number, username?: string, password?: string): Promise<number | null> {
  const id = `minewatch-${Math.floor(Math.random() * 1e9).toString(36)}`;
  conv.write(buildConnect(id, username, password));
  const buf = await conv.readAtLeast(4, timeoutMs);
  const rc = parseConnack(buf);
  return typeof rc === 'number' ? rc : null;
}

function subscribePacket(topic: string): Buffer {
  const body = Buffer.concat([Buffer.from([0x00, 0x01]), utf8Field(topic), Buffer.from([0x00])]);
  return Buffer.concat([Buffer.from([0x82]), remainingLength(body.length), body]);
}

/** Find a PUBLISH of `topic` in the received bytes and return its payload text. */
export function findPublish(buf: Buffer, topic: string): string | null {
  let i = 0;
  while (i < buf.length) {
    const type = buf[i] >> 4;
    let mult = 1;
    let len = 0;
    let j = i + 1;
    for (; j < buf.length && j < i + 5; j++) {
      len += (buf[j] & 0x7f) * mult;
      mult *= 128;
      if ((buf[j] & 0x80) === 0) break;
    }
    const start = j + 1;
    if (start + len > buf.length) return null;
    if (type === 3 && len >= 2) {
      const tlen = buf.readUInt16BE(start);
      const qos = (buf[i] >> 1) & 3;
      const t = buf.subarray(start + 2, start + 2 + tlen).toString('utf8');
      const payloadStart = start + 2 + tlen + (qos > 0 ? 2 : 0);
      if (t === topic && payloadStart <= start + len) return buf.subarray(payloadStart, start + len).toString('utf8');
    }
    i = start + len;
  }
  return null;
}

async function probeMqtt(io: ProbeIo, tls: boolean): Promise<ServiceIdentity | null> {
  return withConversation(io, { tls }, async (conv) => {
    const rc = await mqttConnect(conv, io.timeoutMs);
    if (rc === null) {
      if (conv.received.length > 0 && conv.received[0] === 0x20) io.malformed('mqtt.bad-connack');
      return null;
    }
    const anonymous = rc === 0;
    let product = 'MQTT broker';
    let version = '';
    if (anonymous) {
      const from = conv.received.length;
      conv.write(subscribePacket('$SYS/broker/version'));
      const got = await conv.readUntil((b) => findPublish(b.subarray(from), '$SYS/broker/version') !== null, Math.min(io.timeoutMs, 1000));
      const text = findPublish(got.subarray(from), '$SYS/broker/version');
      const vm = text ? /^(\S+?)\s+(?:version\s+)?v?([\d.]+)/i.exec(text) : null;
      if (vm) {
        product = vm[1].toLowerCase() === 'mosquitto' ? 'Mosquitto' : vm[1];
        version = vm[2];
      }
      conv.write(Buffer.from([0xe0, 0x00])); // DISCONNECT
    }
    return {
      service: tls ? 'mqtts' : 'mqtt',
      product,
      version,
      tls,
      banner: `CONNACK ${rc} (${CONNACK_MEANING[rc] ?? 'unknown'})`,
      details: { anonymous, connackCode: rc },
    };
  });
}

export const mqttProbe: ServiceProbe = {
  id: 'mqtt',
  ports: [1883, 1884],
  probe: (io) => probeMqtt(io, false),
};

export const mqttsProbe: ServiceProbe = {
  id: 'mqtts',
  ports: [8883],
  hintOnly: true,
  probe: (io) => probeMqtt(io, true),
};
