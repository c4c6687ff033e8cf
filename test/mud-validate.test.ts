// MUD file validation: the public fixtures, files derived from them with known faults, and a table
// of single changes each with the exact reason it must produce.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateMud } from "../harness/mud/validate.js";
import { runMud } from "./fixtures/mud/cli.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "mud");
const read = (name: string) => readFileSync(join(FIXTURES, name));
const NOW = new Date("2025-06-01T00:00:00Z");

describe("MUD fixtures", () => {
  const valid = ["osmud-lightbulb2000.json", "mudmaker-same-manufacturer.json", "mudmaker-my-controller.json", "nist-mudfile-local-networks.json", "rfc9472-transparency-complete.json"];
  it.each(valid)("%s is valid", (name) => {
    const result = validateMud(read(name), { now: NOW });
    expect(result.problems).toEqual([]);
    expect(result.notes).toEqual([]);
    expect(result.mud?.["ietf-mud:mud"]["mud-version"]).toBe(1);
  });

  const invalid: [string, string[]][] = [
    ["invalid-missing-acl.json", [
      'ietf-mud:mud.from-device-policy.access-lists.access-list[0].name: names ACL "mud-76100-v6from", which ietf-access-control-list:acls does not define',
    ]],
    ["invalid-udp-direction-initiated.json", [
      'ietf-access-control-list:acls.acl[1].aces.ace[0].matches.udp.ietf-mud:direction-initiated: unknown member "ietf-mud:direction-initiated" (direction-initiated applies only to TCP)',
    ]],
    ["invalid-version-and-cache-validity.json", [
      "ietf-mud:mud.mud-version: expected 1, got 2",
      "ietf-mud:mud.cache-validity: must be >= 1, got 0",
    ]],
    ["invalid-http-url-dnsname-protocol.json", [
      "ietf-mud:mud.mud-url: uses http: a MUD URL must use https (RFC 8520)",
      "ietf-access-control-list:acls.acl[1].aces.ace[0].matches.ipv6.protocol: protocol 17 contradicts the tcp match (tcp is 6)",
      'ietf-access-control-list:acls.acl[1].aces.ace[0].matches.ipv6.ietf-acldns:dst-dnsname: "test..example.com" is not a well-formed DNS name (label "")',
    ]],
  ];
  it.each(invalid)("%s is invalid, for exactly its reasons", (name, reasons) => {
    expect(validateMud(read(name), { now: NOW }).problems).toEqual(reasons);
  });

  it("notes an ACL no policy uses without making the file invalid", () => {
    expect(validateMud(read("invalid-missing-acl.json"), { now: NOW }).notes).toEqual([
      'ietf-access-control-list:acls.acl[1]: ACL "mud-76100-v6fr" is not used by either policy',
    ]);
  });
});

type Json = Record<string, any>;
const lightbulb = () => JSON.parse(read("osmud-lightbulb2000.json").toString()) as Json;
const nist = () => JSON.parse(read("nist-mudfile-local-networks.json").toString()) as Json;
const mudOf = (d: Json) => d["ietf-mud:mud"];
const aclsOf = (d: Json) => d["ietf-access-control-list:acls"].acl;
const ACE0 = "ietf-access-control-list:acls.acl[0].aces.ace[0]";

describe("the rules of a MUD file, one change at a time", () => {
  const cases: [string, () => Json, string[]][] = [
    ["a mud-url with a user name", () => { const d = lightbulb(); mudOf(d)["mud-url"] = "https://user:pw@lighting.example.com/x"; return d; },
      ["ietf-mud:mud.mud-url: carries a user name or password"]],
    ["a mud-url longer than DHCP can carry", () => { const d = lightbulb(); mudOf(d)["mud-url"] = `https://lighting.example.com/${"a".repeat(250)}`; return d; },
      ["ietf-mud:mud.mud-url: is longer than 255 bytes"]],
    ["a last-update in the future", () => { const d = lightbulb(); mudOf(d)["last-update"] = "2025-07-01T00:00:00+00:00"; return d; },
      ["ietf-mud:mud.last-update: 2025-07-01T00:00:00+00:00 is in the future"]],
    ["a last-update that is not a date", () => { const d = lightbulb(); mudOf(d)["last-update"] = "yesterday"; return d; },
      ['ietf-mud:mud.last-update: expected a date and time with its offset, like 2025-01-31T12:00:00+00:00, got "yesterday"']],
    ["a cache-validity over a week", () => { const d = lightbulb(); mudOf(d)["cache-validity"] = 200; return d; },
      ["ietf-mud:mud.cache-validity: must be <= 168, got 200"]],
    ["is-supported missing", () => { const d = lightbulb(); delete mudOf(d)["is-supported"]; return d; },
      ['ietf-mud:mud: missing required member "is-supported"']],
    ["an http mud-signature", () => { const d = lightbulb(); mudOf(d)["mud-signature"] = "http://lighting.example.com/x.p7s"; return d; },
      ["ietf-mud:mud.mud-signature: uses http: a MUD URL must use https (RFC 8520)"]],
    ["an extension member without declared extensions", () => { const d = lightbulb(); mudOf(d)["acme:thing"] = {}; return d; },
      ['ietf-mud:mud.acme:thing: extension member "acme:thing" is used, but "extensions" declares no extension']],
    ["a misspelt member", () => { const d = lightbulb(); mudOf(d)["cache-valdity"] = 48; return d; },
      ['ietf-mud:mud.cache-valdity: unknown member "cache-valdity"']],
    ["two ACLs of one name", () => { const d = lightbulb(); aclsOf(d)[1].name = aclsOf(d)[0].name; return d; },
      [
        'ietf-access-control-list:acls.acl[1].name: ACL name "mud-76100-v6to" is used twice (also ietf-access-control-list:acls.acl[0].name)',
        'ietf-mud:mud.from-device-policy.access-lists.access-list[0].name: names ACL "mud-76100-v6fr", which ietf-access-control-list:acls does not define',
      ]],
    ["ipv4 matches in an ipv6 ACL", () => { const d = lightbulb(); const m = aclsOf(d)[0].aces.ace[0].matches; m.ipv4 = m.ipv6; delete m.ipv6; return d; },
      [`${ACE0}.matches.ipv4: ipv4 matches in an ACL of type ipv6-acl-type`]],
    ["ipv4 and ipv6 in one entry", () => { const d = nist(); const m = aclsOf(d)[0].aces.ace[0].matches; m.ipv6 = { protocol: 6 }; aclsOf(d)[0].type = "mixed-eth-ipv4-ipv6-acl-type"; return d; },
      [`${ACE0}.matches.ipv6: an entry matches ipv4 or ipv6, not both`]],
    ["tcp and udp in one entry", () => { const d = nist(); const m = aclsOf(d)[0].aces.ace[0].matches; m.udp = {}; delete m.ipv4.protocol; return d; },
      [`${ACE0}.matches.udp: an entry matches one of tcp, udp and icmp, not tcp and udp`]],
    ["icmp with the TCP protocol number", () => { const d = nist(); const m = aclsOf(d)[0].aces.ace[0].matches; delete m.tcp; m.icmp = { type: 8 }; return d; },
      [`${ACE0}.matches.ipv4.protocol: protocol 6 contradicts the icmp match (ICMP over ipv4 is 1)`]],
    ["a port range upside down", () => { const d = nist(); aclsOf(d)[0].aces.ace[0].matches.tcp["source-port"] = { "lower-port": 900, "upper-port": 800 }; return d; },
      [`${ACE0}.matches.tcp.source-port: lower-port 900 is above upper-port 800`]],
    ["a port given both ways", () => { const d = nist(); aclsOf(d)[0].aces.ace[0].matches.tcp["source-port"] = { operator: "eq", port: 800, "lower-port": 1, "upper-port": 2 }; return d; },
      [`${ACE0}.matches.tcp.source-port: expected either "port" (with an optional "operator") or "lower-port" and "upper-port", each a port number, got an object`]],
    ["an IP address as DNS name", () => { const d = nist(); aclsOf(d)[0].aces.ace[0].matches.ipv4["ietf-acldns:src-dnsname"] = "198.51.100.7"; return d; },
      [`${ACE0}.matches.ipv4.ietf-acldns:src-dnsname: "198.51.100.7" is an IP address, not a DNS name; match it with a network instead`]],
    ["a DNS label starting with a hyphen", () => { const d = nist(); aclsOf(d)[0].aces.ace[0].matches.ipv4["ietf-acldns:src-dnsname"] = "-www.nist.local"; return d; },
      [`${ACE0}.matches.ipv4.ietf-acldns:src-dnsname: "-www.nist.local" is not a well-formed DNS name (label "-www")`]],
    ["an action that does not exist", () => { const d = nist(); aclsOf(d)[0].aces.ace[0].actions.forwarding = "allow"; return d; },
      [`${ACE0}.actions.forwarding: expected accept, drop or reject, got "allow"`]],
    ["a malformed IPv6 prefix", () => { const d = lightbulb(); aclsOf(d)[0].aces.ace[0].matches.ipv6["source-ipv6-network"] = "2001:db8:::1/64"; return d; },
      [`${ACE0}.matches.ipv6.source-ipv6-network: "2001:db8:::1/64" is not an IPv6 prefix`]],
  ];
  it.each(cases)("%s", (_what, make, reasons) => {
    expect(validateMud(Buffer.from(JSON.stringify(make())), { now: NOW }).problems).toEqual(reasons);
  });

  it("rejects what is not UTF-8 JSON, or too large, with one reason", () => {
    expect(validateMud(Buffer.from([0xff, 0xfe, 0x7b])).problems).toEqual(["the file is not UTF-8 text (RFC 8259 JSON is UTF-8)"]);
    expect(validateMud(Buffer.from("{ mud: 1 }")).problems[0]).toMatch(/^the file is not JSON: /);
    expect(validateMud(Buffer.alloc(300 * 1024, 0x20)).problems).toEqual(["the file is larger than 262144 bytes"]);
  });

  it("bounds what a hostile file can make it say", () => {
    const d = lightbulb();
    for (let i = 0; i < 500; i++) mudOf(d)[`junk${i}`] = i;
    mudOf(d)[`x${"y".repeat(5000)}`] = 1;
    const result = validateMud(Buffer.from(JSON.stringify(d)));
    expect(result.problems).toHaveLength(101);
    expect(result.problems[100]).toBe("… and 401 more");
    expect(Math.max(...result.problems.map((p) => p.length))).toBeLessThan(200);
  });

  it("requires mud-url to name the URL the file came from", () => {
    expect(validateMud(read("osmud-lightbulb2000.json"), { url: "https://LIGHTING.example.com:443/lightbulb2000" }).problems).toEqual([]);
    expect(validateMud(read("osmud-lightbulb2000.json"), { url: "https://evil.example/lightbulb2000" }).problems).toEqual([
      'ietf-mud:mud.mud-url: "https://lighting.example.com/lightbulb2000" is not the URL the file came from ("https://evil.example/lightbulb2000")',
    ]);
  });

  it("notes is-supported false and a name matching the device's own side, leaving the file valid", () => {
    const d = lightbulb();
    mudOf(d)["is-supported"] = false;
    const m = aclsOf(d)[1].aces.ace[0].matches.ipv6;
    m["ietf-acldns:src-dnsname"] = m["ietf-acldns:dst-dnsname"];
    delete m["ietf-acldns:dst-dnsname"];
    const result = validateMud(Buffer.from(JSON.stringify(d)));
    expect(result.problems).toEqual([]);
    expect(result.notes).toEqual([
      "ietf-mud:mud.is-supported: false: the manufacturer no longer supports this device",
      "ietf-access-control-list:acls.acl[1].aces.ace[0].matches.ipv6.ietf-acldns:src-dnsname: in a from-device ACL the source is the device itself; src and dst swapped?",
    ]);
  });
});

describe("iotcert mud validate FILE", () => {
  it("exits 0 for a valid file", async () => {
    const r = await runMud("validate", join(FIXTURES, "nist-mudfile-local-networks.json"));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/valid MUD file for https:\/\/local-networks-test\.nist\.local\/super1\n$/);
  });

  it("exits 1 with each reason on its own line", async () => {
    const file = join(FIXTURES, "invalid-http-url-dnsname-protocol.json");
    const r = await runMud("validate", file);
    expect(r.code).toBe(1);
    expect(r.out.trim().split("\n")).toEqual([
      `${file}: ietf-mud:mud.mud-url: uses http: a MUD URL must use https (RFC 8520)`,
      `${file}: ietf-access-control-list:acls.acl[1].aces.ace[0].matches.ipv6.protocol: protocol 17 contradicts the tcp match (tcp is 6)`,
      `${file}: ietf-access-control-list:acls.acl[1].aces.ace[0].matches.ipv6.ietf-acldns:dst-dnsname: "test..example.com" is not a well-formed DNS name (label "")`,
    ]);
  });

  it("checks mud-url against --url", async () => {
    const r = await runMud("validate", join(FIXTURES, "osmud-lightbulb2000.json"), "--url", "https://lighting.example.com/other");
    expect(r.code).toBe(1);
    expect(r.out).toContain("is not the URL the file came from");
  });

  it("exits 2 for a file that does not exist", async () => {
    const r = await runMud("validate", join(FIXTURES, "no-such.json"));
    expect(r.code).toBe(2);
    expect(r.err).toContain("no such file");
  });
});
