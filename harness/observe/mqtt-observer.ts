// The harness's own MQTT broker for `iotcert observe mqtt`: aedes behind a plain and a TLS
// listener, which accepts any credentials so that a device pointed at it shows what it sends —
// whether it uses TLS and a client certificate, its user name and password, the topics it
// publishes and what it leaves retained. The device is untrusted: every connection has a byte
// cap, and everything recorded from it is escaped and bounded.
import { createHash } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { Aedes } from "aedes";
import { findSecrets } from "../core/secrets.js";
import { escapeBytes } from "../transports/tcp.js";
import { OBSERVATION_SCHEMA, type MqttObservation, type ObservedSession } from "./mqtt-observation.js";
import type { KeyAndCertificate } from "./self-signed.js";

/** Per connection: far beyond what a device publishes while observed; a flood is cut here. */
const CONNECTION_BYTES = 16 * 1024 * 1024;
const MAX_SESSIONS = 200;
const MAX_TOPICS = 200;
const MAX_RETAINED = 50;
const MAX_SECRETS = 50;
const TEXT_CHARS = 256;
const SAMPLE_BYTES = 128;
/** Payload bytes searched for secrets. */
const SEARCHED_BYTES = 4096;

export interface ObserverOptions {
  host: string;
  /** 0 picks a free port; undefined leaves that listener out. */
  port?: number;
  tlsPort?: number;
  tls?: KeyAndCertificate;
  /** Descriptor ids by IP address: which unit each session came from. */
  units?: Map<string, string>;
}

const text = (s: string | Buffer | undefined, max = TEXT_CHARS) => escapeBytes(typeof s === "string" ? Buffer.from(s, "utf8") : s ?? Buffer.alloc(0), max);
const unmapped = (address: string | undefined) => (address ?? "").replace(/^::ffff:(?=\d+\.)/, "");

function name(o: unknown): string {
  if (!o || typeof o !== "object") return "";
  return text(Object.entries(o).map(([k, v]) => `${k}=${String(v)}`).join(", "));
}

export class MqttObserver {
  readonly #servers: Server[] = [];
  readonly #sockets = new Set<Socket>();
  readonly #sessions = new Map<object, ObservedSession>();
  readonly #startedAt = new Date().toISOString();
  readonly listeners: { mqtt?: string; mqtts?: string } = {};

  private constructor(private readonly aedes: Aedes, private readonly units: Map<string, string>) {}

  static async start(o: ObserverOptions): Promise<MqttObserver> {
    let observer: MqttObserver | undefined;
    const aedes = await Aedes.createBroker({
      // Accept every client: the point is to see what it sends. Record before aedes judges the
      // protocol version (it speaks 3.1.1 only; an MQTT 5 client is recorded, then refused).
      preConnect: (client, packet, done) => {
        observer?.record(client, packet);
        done(null, true);
      },
      authenticate: (_client, _username, _password, done) => done(null, true),
      authorizePublish: (client, packet, done) => {
        if (client) observer?.published(client, packet.topic, packet.payload, packet.retain);
        done(null);
      },
    });
    observer = new MqttObserver(aedes, o.units ?? new Map());
    const handle = (socket: Socket | TLSSocket) => {
      observer!.#sockets.add(socket);
      socket.on("close", () => observer!.#sockets.delete(socket));
      let bytes = 0;
      socket.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > CONNECTION_BYTES) {
          observer!.cut(socket);
          socket.destroy();
        }
      });
      socket.on("error", () => {});
      aedes.handle(socket);
    };
    if (o.port !== undefined) observer.listeners.mqtt = await observer.#listen(createServer(handle), o.host, o.port);
    if (o.tlsPort !== undefined) {
      if (!o.tls) throw new Error("a TLS listener needs a key and certificate");
      // Ask for a client certificate without requiring one: whether the device sends one is observed
      const server = createTlsServer({ key: o.tls.keyPem, cert: o.tls.certPem, requestCert: true, rejectUnauthorized: false }, handle);
      server.on("tlsClientError", () => {});
      observer.listeners.mqtts = await observer.#listen(server, o.host, o.tlsPort);
    }
    return observer;
  }

  async #listen(server: Server, host: string, port: number): Promise<string> {
    this.#servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    const a = server.address() as { address: string; port: number };
    return `${a.address.includes(":") ? `[${a.address}]` : a.address}:${a.port}`;
  }

  private record(client: { conn: unknown }, packet: { clientId?: string; protocolVersion?: number; username?: string; password?: Buffer | string }): void {
    if (this.#sessions.size >= MAX_SESSIONS) return;
    const conn = client.conn as Socket & Partial<TLSSocket>;
    const address = unmapped(conn.remoteAddress);
    const tls = typeof conn.getPeerCertificate === "function";
    const cert = tls ? conn.getPeerCertificate!() : undefined;
    const presented = cert && Object.keys(cert).length > 0 && cert.raw;
    const unit = this.units.get(address);
    this.#sessions.set(client, {
      address,
      ...(unit ? { unit } : {}),
      transport: tls ? "mqtts" : "mqtt",
      ...(tls && conn.getProtocol?.() ? { tlsProtocol: conn.getProtocol!()! } : {}),
      ...(presented ? { clientCertificate: { subject: name(cert.subject), sha256: createHash("sha256").update(cert.raw).digest("hex") } } : {}),
      clientId: text(packet.clientId),
      protocolVersion: packet.protocolVersion ?? 0,
      ...(packet.username !== undefined ? { username: text(packet.username) } : {}),
      ...(packet.password !== undefined ? { password: text(packet.password) } : {}),
      connectedAt: new Date().toISOString(),
      topics: [],
      published: 0,
      retained: [],
      secrets: [],
    });
  }

  private published(client: object, topic: string, payload: Buffer | string, retain: boolean): void {
    const s = this.#sessions.get(client);
    if (!s) return;
    s.published++;
    const shownTopic = text(topic);
    if (s.topics.length < MAX_TOPICS && !s.topics.includes(shownTopic)) s.topics.push(shownTopic);
    const bytes = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
    if (retain && bytes.length && s.retained.length < MAX_RETAINED) s.retained.push({ topic: shownTopic, bytes: bytes.length, sample: text(bytes, SAMPLE_BYTES) });
    for (const leak of findSecrets(bytes.subarray(0, SEARCHED_BYTES).toString("latin1"))) {
      if (s.secrets.length >= MAX_SECRETS) break;
      s.secrets.push({
        topic: shownTopic, retain, pattern: leak.pattern.id, title: leak.pattern.title, severity: leak.pattern.severity,
        key: leak.pattern.key, value: text(leak.value), context: leak.context,
      });
    }
  }

  private cut(conn: unknown): void {
    for (const [client, s] of this.#sessions) if ((client as { conn: unknown }).conn === conn) s.cut = true;
  }

  /** Stop listening, disconnect everyone, and return what was seen. */
  async stop(): Promise<MqttObservation> {
    const closed = this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    // close() waits for open connections, some of which never became MQTT clients
    for (const socket of this.#sockets) socket.destroy();
    await Promise.all(closed);
    return {
      schema: OBSERVATION_SCHEMA,
      startedAt: this.#startedAt,
      finishedAt: new Date().toISOString(),
      listeners: this.listeners,
      sessions: [...this.#sessions.values()],
    };
  }
}
