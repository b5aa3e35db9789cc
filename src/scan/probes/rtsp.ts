/** RTSP (RFC 2326), cameras and NVRs: OPTIONS answers with the server name and methods. */
import type { ServiceIdentity } from '../types.js';
import { latin1, withConversation, type ServiceProbe } from './probe.js';

export function parseRtspResponse(buf: Buffer): ServiceIdentity | null {
  const text = latin1(buf, 4096);
  const m = /^RTSP\/1\.\d (\d{3})[^\r\n]*/.exec(text);
  if (!m) return null;
  const server = /\r\nserver:\s*([^\r\n]+)/i.exec(text)?.[1]?.trim() ?? '';
  const methods = /\r\npublic:\s*([^\r\n]+)/i.exec(text)?.[1]?.trim() ?? '';
  const sm = /^(.+?)\/([\w.-]+)/.exec(server);
  return {
    service: 'rtsp',
    product: sm ? sm[1] : server,
    version: sm?.[2] ?? '',
    banner: `${m[0]}${server ? ` | Server: ${server}` : ''}`,
    details: { status: Number(m[1]), server, methods, authRequired: m[1] === '401' },
  };
}

export const rtspProbe: ServiceProbe = {
  id: 'rtsp',
  ports: [554, 8554, 10554],
  probe: (io) =>
    withConversation(io, {}, async (conv) => {
      const host = io.host.includes(':') ? `[${io.host}]` : io.host;
      conv.write(`OPTIONS rtsp://${host}:${io.port}/ RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: minewatch-scan\r\n\r\n`);
      const buf = await conv.readUntil((b) => b.includes('\r\n\r\n'), io.timeoutMs);
      return parseRtspResponse(buf);
    }),
};
