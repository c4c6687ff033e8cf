// The hardened "Nordlys Thermostat T2": HTTPS only (TLS 1.2 and up, a certificate of its own),
// its web page behind Basic auth with a password that differs on every unit.
import { randomBytes, webcrypto } from "node:crypto";
import type { RequestListener } from "node:http";
import { createServer } from "node:https";
import * as x509 from "@peculiar/x509";
import type { Descriptor } from "../../harness/schema/types.js";
import { lifecycle, type SimulatedDevice } from "./device.js";
import { listenInWindow } from "./window.js";

const COMMON_NAME = "thermostat.local";
const SUPPORT_YEARS = 5;

/** A throwaway self-signed certificate (EC P-256, one year), as the unit would make on first boot. */
async function selfSignedCertificate(): Promise<{ key: string; cert: string }> {
  const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const notBefore = new Date();
  const notAfter = new Date(notBefore);
  notAfter.setFullYear(notAfter.getFullYear() + 1);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString("hex"),
    name: `CN=${COMMON_NAME}`,
    notBefore,
    notAfter,
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: "dns", value: COMMON_NAME }]),
    ],
  }, webcrypto as Crypto);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString("base64").replace(/.{64}/g, "$&\n")}\n-----END PRIVATE KEY-----\n`;
  return { key, cert: cert.toString("pem") };
}

/** RFC 9116: how to report a vulnerability, valid for half a year from start-up. */
function securityTxt(): string {
  const expires = new Date();
  expires.setMonth(expires.getMonth() + 6);
  return `Contact: mailto:security@nordlys.example\nExpires: ${expires.toISOString().replace(/\.\d+Z$/, "Z")}\nPreferred-Languages: en, nb\n`;
}

type Account = { username: string; password: string };

function statusPage(accounts: Account[]): RequestListener {
  const accepted = new Set(accounts.map(({ username, password }) => `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`));
  const disclosure = securityTxt();
  return (req, res) => {
    if (req.url === "/.well-known/security.txt") {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(disclosure);
      return;
    }
    if (!accepted.has(req.headers.authorization ?? "")) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="Nordlys T2", charset="UTF-8"', "content-type": "text/plain" });
      res.end("login required\n");
      return;
    }
    res.writeHead(req.url === "/" ? 200 : 404, { "content-type": "text/html", "strict-transport-security": "max-age=31536000" });
    res.end(req.url === "/" ? "<html><title>Nordlys T2</title><body>21.5 &deg;C</body></html>" : "not found\n");
  };
}

export interface ThermostatOptions {
  host?: string;
  /** Another firmware version than the released one. */
  firmware?: string;
  /** A second web account, as a faulty build might ship (e.g. a service login left in). */
  serviceAccount?: Account;
  /** The first port of the window to listen in, if free: another build on the same ports. */
  portBase?: number;
}

export async function startThermostat(opts: ThermostatOptions = {}): Promise<SimulatedDevice> {
  const credential = { username: "admin", password: randomBytes(12).toString("base64url") };
  const accounts = opts.serviceAccount ? [credential, opts.serviceAccount] : [credential];
  const https = createServer({ ...(await selfSignedCertificate()), minVersion: "TLSv1.2" }, statusPage(accounts));
  const window = await listenInWindow(opts.host ? [opts.host] : ["127.0.0.2", "127.0.0.1"], {
    https: { server: https, offset: 43 },
  }, opts.portBase);
  const { host, ports } = window;
  const supportEnd = new Date();
  supportEnd.setFullYear(supportEnd.getFullYear() + SUPPORT_YEARS);
  const descriptor: Descriptor = {
    id: "nordlys-t2-sim",
    vendor: "Nordlys",
    model: "Thermostat T2",
    firmware: opts.firmware ?? "2.4.0",
    // No UDP service: the usual UDP ports on a loopback address belong to the machine, not to this device.
    network: { address: host, tcpPorts: window.tcpPorts, udpPorts: [] },
    declared: {
      openPorts: [`${ports.https}/tcp`],
      supportPeriodEnd: supportEnd.toISOString().slice(0, 10),
      vulnerabilityDisclosureUrl: `https://${host.includes(":") ? `[${host}]` : host}:${ports.https}/.well-known/security.txt`,
      credentials: [{ ...credential, service: "https", unique: true }],
    },
    attestations: {
      "5.2-1": { verdict: "pass", note: "disclosure policy published at the declared security.txt and reviewed" },
      "5.3-13": { verdict: "pass", note: "support period published on the product page and the box" },
      "5.4-1": { verdict: "pass", note: "credentials and keys kept in the secure element; design documents reviewed" },
      "5.2-2": { verdict: "pass", note: "disclosure log shows fixes within 90 days" },
      "5.3-1": { verdict: "pass", note: "signed A/B firmware updates cover every component" },
    },
  };
  return { descriptor, host, ports, ...lifecycle([https], window.release) };
}
