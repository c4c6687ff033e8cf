// A simulated IP camera's RTSP server on loopback, for the RTSP login tests: DESCRIBE asks for
// Basic or Digest credentials and answers 200 with an SDP for the right pair. Digest is checked
// here with the RFC 7616 formula written out again, independently of harness/transports/digest-auth.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";

export interface CameraOptions {
  scheme: "basic" | "digest";
  username: string;
  password: string;
  /** Digest: each nonce is good for one request; a reused one gets 401 with stale=true. */
  oneTimeNonces?: boolean;
  /** The stream needs no credentials at all. */
  open?: boolean;
}

export interface Camera {
  port: number;
  /** Requests as they came: method and whether they carried credentials. */
  requests: { method: string; authorized: boolean; ok: boolean }[];
  close(): Promise<void>;
}

const REALM = "IP Camera";
const md5 = (s: string) => createHash("md5").update(s).digest("hex");

function field(header: string, name: string): string | undefined {
  return new RegExp(`${name}="?([^",]*)"?`).exec(header)?.[1];
}

export async function startCamera(opts: CameraOptions): Promise<Camera> {
  const nonces = new Set<string>();
  const requests: Camera["requests"] = [];
  const challenge = (stale: boolean) => {
    const nonce = randomBytes(8).toString("hex");
    nonces.add(nonce);
    return opts.scheme === "basic" ? `Basic realm="${REALM}"` : `Digest realm="${REALM}", nonce="${nonce}", qop="auth"${stale ? ", stale=TRUE" : ""}`;
  };
  const check = (method: string, auth: string): "ok" | "wrong" | "stale" => {
    if (opts.scheme === "basic") {
      return Buffer.from(auth.replace(/^Basic /, ""), "base64").toString() === `${opts.username}:${opts.password}` ? "ok" : "wrong";
    }
    const nonce = field(auth, "nonce") ?? "";
    if (!nonces.has(nonce)) return "stale";
    if (opts.oneTimeNonces) nonces.delete(nonce);
    const ha1 = md5(`${field(auth, "username")}:${REALM}:${opts.password}`);
    const ha2 = md5(`${method}:${field(auth, "uri")}`);
    const expected = md5(`${ha1}:${nonce}:${field(auth, "nc")}:${field(auth, "cnonce")}:auth:${ha2}`);
    return field(auth, "username") === opts.username && field(auth, "response") === expected ? "ok" : "wrong";
  };
  const server: Server = createServer((socket: Socket) => {
    let buffered = "";
    socket.on("data", (chunk) => {
      buffered += chunk.toString("latin1");
      const end = buffered.indexOf("\r\n\r\n");
      if (end < 0) return;
      const [line = "", ...headers] = buffered.slice(0, end).split("\r\n");
      const method = line.split(" ")[0] ?? "";
      const cseq = headers.find((h) => /^cseq:/i.test(h))?.split(":")[1]?.trim() ?? "0";
      const auth = headers.find((h) => /^authorization:/i.test(h))?.replace(/^authorization:\s*/i, "");
      const verdict = opts.open ? "ok" : auth ? check(method, auth) : "wrong";
      requests.push({ method, authorized: auth !== undefined, ok: verdict === "ok" });
      const head = verdict === "ok"
        ? `RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\nContent-Type: application/sdp\r\nContent-Length: 13\r\n\r\nv=0\r\ns=cam\r\n\r\n`
        : `RTSP/1.0 401 Unauthorized\r\nCSeq: ${cseq}\r\nWWW-Authenticate: ${challenge(verdict === "stale")}\r\n\r\n`;
      socket.end(head);
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
