// lifecycle.support-period against declared dates around the run date and the profile's minimum;
// disclosure.security-txt against a real HTTPS server on loopback (certificate from openssl).
import { createServer, type Server } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { securityTxt } from "../harness/checks/disclosure/security-txt.js";
import { addMonths, supportPeriod } from "../harness/checks/lifecycle/support-period.js";
import { Pace } from "../harness/core/pace.js";
import type { Descriptor, Profile } from "../harness/schema/types.js";
import { makeContext } from "./helpers/context.js";
import { TestPki } from "./fixtures/mud/pki.js";

const day = (d: Date) => d.toISOString().slice(0, 10);
const today = new Date(`${day(new Date())}T00:00:00Z`);
const device = (declared: Descriptor["declared"]): Descriptor => ({ id: "d", vendor: "v", model: "m", firmware: "1", ...(declared ? { declared } : {}) });
const profile = (months?: number): Profile => ({ id: "p", title: "p", levels: ["low"], provisions: [], ...(months !== undefined ? { parameters: { minimumSupportMonths: months } } : {}) });

function supportContext(end: string | undefined, months?: number) {
  const ctx = makeContext({ device: device(end ? { supportPeriodEnd: end } : {}) });
  return { ...ctx, profile: profile(months) };
}

describe("lifecycle.support-period", () => {
  it("passes a period that ends after the profile's minimum", async () => {
    const end = day(addMonths(today, 25));
    const outcome = await supportPeriod.run(supportContext(end, 24));
    expect(outcome).toMatchObject({ verdict: "pass", summary: `support declared until ${end}, at least 24 months ahead` });
  });

  it("fails a period that ends before the minimum, with the day it would have to reach", async () => {
    const end = day(addMonths(today, 23));
    const outcome = await supportPeriod.run(supportContext(end, 24));
    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings?.[0]).toMatchObject({ severity: "medium" });
    expect(outcome.findings?.[0]?.title).toContain(`before ${day(addMonths(today, 24))}`);
  });

  it("fails an ended period (high) and a missing one", async () => {
    const ended = await supportPeriod.run(supportContext("2020-01-31"));
    expect(ended).toMatchObject({ verdict: "fail", summary: "the support period ended on 2020-01-31" });
    expect(ended.findings?.[0]?.severity).toBe("high");
    expect((await supportPeriod.run(supportContext(undefined))).verdict).toBe("fail");
  });

  it("without a minimum in the profile, a period ending today still passes", async () => {
    expect((await supportPeriod.run(supportContext(day(today)))).verdict).toBe("pass");
  });

  it("adds calendar months, clamping to the month's end", () => {
    expect(day(addMonths(new Date("2024-01-31T00:00:00Z"), 1))).toBe("2024-02-29");
    expect(day(addMonths(new Date("2024-11-15T00:00:00Z"), 14))).toBe("2026-01-15");
  });
});

const pki = new TestPki();
let server: Server;
let base: string;
let routes: Record<string, { status?: number; type?: string; body?: string; location?: string }> = {};

beforeAll(async () => {
  server = createServer({ key: pki.key("server"), cert: pki.pem("server") }, (req, res) => {
    const route = routes[req.url ?? ""];
    if (!route) return void res.writeHead(404).end();
    res.writeHead(route.status ?? 200, { "content-type": route.type ?? "text/plain; charset=utf-8", ...(route.location ? { location: route.location } : {}) }).end(route.body ?? "");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  pki.dispose();
});

const inMonths = (n: number) => addMonths(new Date(), n).toISOString().replace(/\.\d+Z$/, "Z");
const GOOD = () => `# Our policy
Contact: mailto:security@acme.example
Contact: https://acme.example/report
Expires: ${inMonths(6)}
Encryption: https://acme.example/pgp-key.txt
Preferred-Languages: en, de
Policy: https://acme.example/disclosure
`;

async function check(path: string, declaredPath = path) {
  const ctx = makeContext({ device: device({ vulnerabilityDisclosureUrl: `${base}${declaredPath}` }), pace: Pace.named("fast", { connectTimeoutMs: 2000 }) });
  return securityTxt.run(ctx);
}

describe("disclosure.security-txt", () => {
  it("passes a well-formed file with contacts and a future Expires", async () => {
    routes = { "/.well-known/security.txt": { body: GOOD() } };
    const outcome = await check("/.well-known/security.txt");
    expect(outcome.verdict).toBe("pass");
    expect(outcome.evidence).toMatchObject({ contacts: ["mailto:security@acme.example", "https://acme.example/report"], signed: false });
  });

  it("looks for /.well-known/security.txt when the declared URL is a web page", async () => {
    routes = { "/.well-known/security.txt": { body: GOOD() } };
    expect((await check("/.well-known/security.txt", "/security-policy.html")).verdict).toBe("pass");
  });

  it("recognises a PGP cleartext-signed file and reads the fields inside", async () => {
    const signed = `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n${GOOD()}-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCgAdFiEE\n=abcd\n-----END PGP SIGNATURE-----\n`;
    routes = { "/security.txt": { body: signed } };
    const outcome = await check("/security.txt");
    expect(outcome.verdict).toBe("pass");
    expect(outcome.summary).toContain("PGP-signed");
    expect(outcome.evidence).toMatchObject({ signed: true });
  });

  it("fails a signed file whose signature block is cut off", async () => {
    routes = { "/security.txt": { body: `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n${GOOD()}` } };
    const outcome = await check("/security.txt");
    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings?.map((f) => f.title)).toContain("security.txt: the PGP signed message has no signature block");
  });

  it("fails a file without Contact, and one without Expires", async () => {
    routes = { "/security.txt": { body: `Expires: ${inMonths(3)}\n` } };
    expect((await check("/security.txt")).findings?.map((f) => [f.severity, f.title])).toEqual([["medium", "security.txt: no Contact field"]]);
    routes = { "/security.txt": { body: "Contact: mailto:a@b.example\n" } };
    expect((await check("/security.txt")).findings?.map((f) => [f.severity, f.title])).toEqual([["medium", "security.txt: no Expires field"]]);
  });

  it("fails an expired file, a malformed date, a duplicate Expires and an http contact", async () => {
    routes = { "/security.txt": { body: "Contact: mailto:a@b.example\nExpires: 2021-01-01T00:00:00Z\n" } };
    expect((await check("/security.txt")).findings?.map((f) => f.title)).toEqual(["security.txt: the file has expired (Expires is in the past)"]);
    routes = { "/security.txt": { body: "Contact: mailto:a@b.example\nExpires: 31/12/2099\n" } };
    expect((await check("/security.txt")).findings?.map((f) => f.title)).toEqual(["security.txt: Expires on line 2 is not an RFC 3339 date and time"]);
    routes = { "/security.txt": { body: `Contact: http://acme.example/report\nExpires: ${inMonths(2)}\nExpires: ${inMonths(3)}\nthis is junk\n` } };
    const titles = (await check("/security.txt")).findings?.map((f) => f.title);
    expect(titles).toEqual([
      "security.txt: line 4 is neither a field (\"Name: value\") nor a comment",
      "security.txt: expires appears 2 times; it must appear at most once",
      "security.txt: Contact on line 1 uses http:, not https, mailto, tel",
    ]);
  });

  it("notes (but passes) an Expires more than a year ahead and a wrong content type", async () => {
    routes = { "/security.txt": { body: `Contact: mailto:a@b.example\nExpires: ${inMonths(30)}\n`, type: "text/html" } };
    const outcome = await check("/security.txt");
    expect(outcome.verdict).toBe("pass");
    expect(outcome.findings?.map((f) => f.severity)).toEqual(["info", "info"]);
  });

  it("fails when there is no file (404), and follows a same-host redirect", async () => {
    routes = {};
    expect((await check("/.well-known/security.txt")).summary).toMatch(/HTTP 404/);
    routes = { "/.well-known/security.txt": { status: 301, location: "/security.txt" }, "/security.txt": { body: GOOD() } };
    expect((await check("/.well-known/security.txt")).verdict).toBe("pass");
  });

  it("is inconclusive when the server cannot be reached, and fails without a declared URL", async () => {
    const ctx = makeContext({ device: device({ vulnerabilityDisclosureUrl: "https://127.0.0.1:1/.well-known/security.txt" }), pace: Pace.named("fast", { connectTimeoutMs: 1000 }) });
    expect((await securityTxt.run(ctx)).verdict).toBe("inconclusive");
    expect((await securityTxt.run(makeContext({ device: device({}) }))).verdict).toBe("fail");
  });
});
