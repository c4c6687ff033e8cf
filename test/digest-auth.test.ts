import { describe, expect, it } from "vitest";
import { digestAuthorization, parseDigestChallenge } from "../harness/transports/digest-auth.js";

// RFC 7616 section 3.9.1: the worked example, once with MD5 and once with SHA-256
const RFC_NONCE = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
const RFC_OPAQUE = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS";
const RFC_CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
const MUFASA = { username: "Mufasa", password: "Circle of Life" };

const responseOf = (authorization: string) => /response="([0-9a-f]+)"/.exec(authorization)?.[1];

describe("HTTP Digest (RFC 7616)", () => {
  it.each([
    ["MD5", "8ca523f5e9506fed4657c9700eebdbec"],
    ["SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"],
  ])("answers the RFC's %s example with its published response", (algorithm, expected) => {
    const challenge = parseDigestChallenge(
      `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, nonce="${RFC_NONCE}", opaque="${RFC_OPAQUE}"`,
    );
    expect(challenge).toMatchObject({ realm: "http-auth@example.org", nonce: RFC_NONCE, opaque: RFC_OPAQUE, algorithm, qop: "auth", stale: false });
    const authorization = digestAuthorization(challenge!, MUFASA, "GET", "/dir/index.html", 1, RFC_CNONCE);
    expect(responseOf(authorization)).toBe(expected);
    expect(authorization).toContain('nc=00000001, cnonce="' + RFC_CNONCE + '"');
    expect(authorization).toContain(`opaque="${RFC_OPAQUE}"`);
  });

  it("answers an RFC 2069 challenge (no qop) the way old cameras expect", () => {
    // RFC 2069 section 2.4's example
    const challenge = parseDigestChallenge('Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"')!;
    expect(challenge.qop).toBeUndefined();
    const authorization = digestAuthorization(challenge, { username: "Mufasa", password: "CircleOfLife" }, "GET", "/dir/index.html");
    expect(responseOf(authorization)).toBe("1949323746fe6a43ef61f9606e7febea");
    expect(authorization).not.toContain("nc=");
  });

  it("finds the Digest challenge among others, reads stale, and refuses what it cannot answer", () => {
    expect(parseDigestChallenge('Basic realm="x", Digest realm="cam", nonce="n1", stale=TRUE')).toMatchObject({ realm: "cam", nonce: "n1", stale: true });
    expect(parseDigestChallenge('Digest realm="a \\"quoted\\" realm", nonce="n"')?.realm).toBe('a "quoted" realm');
    expect(parseDigestChallenge('Basic realm="x"')).toBeUndefined();
    expect(parseDigestChallenge('Digest realm="x"')).toBeUndefined();
    expect(parseDigestChallenge('Digest realm="x", nonce="n", algorithm=SHA-512-256')).toBeUndefined();
    expect(parseDigestChallenge(`Digest realm="x", nonce="${"n".repeat(5000)}"`)).toBeUndefined();
    expect(parseDigestChallenge('Digest realm="unterminated, nonce="n')).toBeUndefined();
    expect(parseDigestChallenge(undefined)).toBeUndefined();
  });
});
