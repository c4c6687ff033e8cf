// A realistic report whose device strings are hostile, for the report writers' tests.
import type { Report } from "../../harness/core/report.js";

export const HOSTILE = {
  script: "<script>alert(1)</script>",
  img: '"><img src=x onerror=alert(1)>',
  style: "</style>",
  control: "bell\u0007nul\u0000",
  ansiBanner: "\u001b[31mBusyBox v1.19.4\u001b[0m login: ",
  loneSurrogate: "half\ud800pair",
};

/** A fresh report each call; overrides replace top-level fields. */
export function sampleReport(overrides: Partial<Report> = {}): Report {
  return {
    schema: "iotcert/report@1",
    harness: { name: "iotcert", version: "0.1.0" },
    device: {
      id: "acme-plug-unit1",
      vendor: `Acme ${HOSTILE.script}`,
      model: `SmartPlug P1 ${HOSTILE.img} ${HOSTILE.style}`,
      firmware: `1.0.3 ${HOSTILE.control}`,
      address: "192.0.2.10",
    },
    profile: { id: "etsi-en-303-645", title: "ETSI EN 303 645 consumer IoT baseline" },
    pace: "normal",
    audit: {
      node: "v20.20.2",
      platform: "linux x64",
      descriptor: { path: "devices/acme-plug.yaml", sha256: "9f2b".padEnd(64, "0"), hashOf: "file" },
      profile: [{ path: "profiles/etsi-en-303-645.yaml", sha256: "51c0".padEnd(64, "0"), hashOf: "file" }],
      pace: { name: "normal", checkConcurrency: 2, connections: 64, connectionsPerSecond: 1000, attemptsPerService: 30, loginsAtOnce: 4, connectTimeoutMs: 1500, retries: 1, bannerWaitMs: 1500, checkTimeoutMs: 600000, heartbeatIntervalMs: 5000, heartbeatBackoffMs: [1000, 2000, 4000] },
      options: { allowFragile: false, stateChanging: false },
    },
    startedAt: "2025-11-25T20:13:04.120Z",
    finishedAt: "2025-11-25T20:14:31.877Z",
    complete: true,
    label: { level: "none", heldBy: ["5.1-1", "5.6-1"], reason: "5.1-1 and 5.6-1 fail at level low" },
    provisions: [
      {
        id: "5.1-1",
        title: "No universal default passwords",
        level: "low",
        verdict: "fail",
        checks: ["credentials.default-passwords"],
        reason: "credentials.default-passwords failed",
      },
      {
        id: "5.5-1",
        title: "Communicate securely",
        level: "medium",
        verdict: "inconclusive",
        checks: ["crypto.tls-versions", "mqtt.anonymous"],
        reason: "mqtt.anonymous could not reach the broker",
      },
      {
        id: "5.6-1",
        title: "Minimize exposed attack surfaces",
        level: "low",
        verdict: "fail",
        checks: ["surface.tcp-ports", "surface.udp-services"],
        reason: "undeclared open ports: 23/tcp, 161/udp",
      },
      {
        id: "5.2-1",
        title: "Vulnerability disclosure policy published",
        level: "high",
        verdict: "pass",
        checks: [],
        reason: "attested: policy reviewed",
      },
    ],
    checks: [
      { id: "surface.tcp-ports", title: "Open TCP ports", verdict: "fail", summary: "3 open TCP ports, 1 not declared (23)", durationMs: 8412 },
      { id: "surface.udp-services", title: "UDP services", verdict: "fail", summary: "SNMP answers on 161/udp, not declared", durationMs: 2210 },
      {
        id: "credentials.default-passwords",
        title: "Default passwords",
        verdict: "fail",
        summary: `telnet accepts root/[secret] ${HOSTILE.script}`,
        durationMs: 63_870,
      },
      { id: "crypto.tls-versions", title: "TLS versions", verdict: "pass", summary: "TLS 1.2 and 1.3 only", durationMs: 412 },
      { id: "mqtt.anonymous", title: "Anonymous MQTT", verdict: "inconclusive", summary: "broker unreachable: timeout", durationMs: 5000 },
    ],
    findings: [
      {
        check: "surface.udp-services",
        severity: "medium",
        title: "SNMP v2c answers with a guessable community",
        target: { transport: "udp", address: "192.0.2.10", port: 161, service: "snmp" },
        evidence: { community: "public", sysDescr: `Linux ${HOSTILE.img}` },
      },
      {
        check: "credentials.default-passwords",
        severity: "critical",
        title: `telnet accepts a default password ${HOSTILE.script}`,
        target: { transport: "tcp", address: "192.0.2.10", port: 23, service: "telnet" },
        evidence: {
          username: "root",
          password: "xc3511",
          prompt: HOSTILE.ansiBanner,
          tried: [{ username: "admin", Password: "admin", result: "refused" }],
          session: { API_KEY: "k-123", shell: `/bin/sh ${HOSTILE.style}` },
        },
      },
      {
        check: "surface.tcp-ports",
        severity: "info",
        title: `Undeclared open port 23 ${HOSTILE.loneSurrogate}`,
        target: { transport: "tcp", port: 23 },
      },
    ],
    surface: {
      tcp: [
        { port: 23, service: "telnet", tls: false, banner: HOSTILE.ansiBanner },
        { port: 80, service: "http", tls: false, product: `lighttpd ${HOSTILE.script}`, banner: `HTTP/1.0 200 OK\r\nServer: ${HOSTILE.img}` },
        { port: 443, service: "https", tls: true, product: "lighttpd/1.4.59" },
      ],
      udp: [
        { port: 161, service: "snmp" },
        { port: 5683, service: "coap" },
      ],
    },
    probes: [
      { check: "surface.tcp-ports", address: "192.0.2.10", ports: "23", protocol: "tcp", count: 1, firstAt: "2025-11-25T20:13:05.000Z", lastAt: "2025-11-25T20:14:01.500Z" },
      { check: "credentials.default-passwords", address: "192.0.2.10", ports: "23", protocol: "telnet", count: 14, firstAt: "2025-11-25T20:13:05.000Z", lastAt: "2025-11-25T20:14:01.500Z" },
      { check: "surface.udp-services", address: "192.0.2.10", ports: "161", protocol: "snmp", count: 3, firstAt: "2025-11-25T20:13:05.000Z", lastAt: "2025-11-25T20:14:01.500Z" },
    ],
    redacted: false,
    ...overrides,
  };
}
