// One RTSP/1.0 request (RFC 2326) over our TcpConnection and its answer's status line and
// headers, bounded. RTSP looks like HTTP but node:http will not parse it (its status line says
// RTSP/1.0), and a login needs only the head of the answer: the body (an SDP) is not read.
import { TransportError } from "../core/errors.js";
import { connectTcp, type Link } from "./tcp.js";

export interface RtspAnswer {
  status: number;
  /** Lower-case names; the first value when a header repeats. */
  headers: Record<string, string>;
}

const MAX_HEAD_BYTES = 16 * 1024;

export interface RtspRequest {
  host: string;
  port: number;
  method: "OPTIONS" | "DESCRIBE";
  /** The absolute rtsp:// URL the request names. */
  url: string;
  headers?: Record<string, string>;
  /** For the whole exchange. */
  timeoutMs: number;
}

export function parseRtspHead(head: string, where: string): RtspAnswer {
  const [statusLine = "", ...lines] = head.split(/\r?\n/);
  const m = /^RTSP\/1\.\d (\d{3})\b/.exec(statusLine);
  if (!m) throw new TransportError("protocol", `${where}: not an RTSP answer`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!Object.hasOwn(headers, name)) headers[name] = line.slice(colon + 1).trim();
  }
  return { status: Number(m[1]), headers };
}

export async function rtspRequest(link: Link, req: RtspRequest): Promise<RtspAnswer> {
  const where = `${req.host}:${req.port}`;
  const conn = await connectTcp(link, req.host, req.port, req.timeoutMs);
  try {
    const headers = { CSeq: "1", "User-Agent": "iotcert", ...req.headers };
    const text = `${req.method} ${req.url} RTSP/1.0\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`;
    await conn.write(Buffer.from(text, "utf8"));
    const head = await conn.readUntil((b) => { const at = b.indexOf("\r\n\r\n"); return at >= 0 ? at + 4 : false; }, { maxBytes: MAX_HEAD_BYTES, timeoutMs: req.timeoutMs });
    if (head.end === "match") return parseRtspHead(head.data.toString("latin1"), where);
    if (head.end === "limit") throw new TransportError("too-large", `${where}: RTSP answer head over ${MAX_HEAD_BYTES} bytes`);
    if (head.end === "closed") throw new TransportError("closed", `${where}: closed before the RTSP answer was complete`);
    throw conn.timedOut(`${where}: no complete RTSP answer within ${req.timeoutMs} ms`);
  } finally {
    conn.close();
  }
}
