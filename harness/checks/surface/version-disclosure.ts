// surface.version-disclosure: software versions handed to anyone who connects, before any login.
import { loadData } from "../../core/data.js";
import type { Check, FindingInput, Outcome } from "../../core/types.js";

/** A product string that carries a version number ("dropbear_2022.83", "lighttpd/1.4.69"). */
const VERSIONED = /\d+\.\d+/;

interface BannerPattern {
  name: string;
  pattern: string;
}

const bannerPatterns = () =>
  loadData<{ bannerPatterns: BannerPattern[] }>("version-disclosure.yaml").bannerPatterns.map((p) => ({ name: p.name, re: new RegExp(p.pattern) }));

export const versionDisclosure: Check = {
  id: "surface.version-disclosure",
  title: "Software versions disclosed without authentication",
  description:
    "Fails when a network service tells an unauthenticated client the exact software version it runs (SSH " +
    "identification, FTP or telnet banners, HTTP Server headers, web stacks such as Node-RED naming theirs to " +
    "anonymous clients, SNMP sysDescr, SSDP SERVER, an MQTT broker's $SYS/broker/version), or a pre-login banner " +
    "names the kernel version (harness/data/version-disclosure.yaml), which lets an attacker look up known " +
    "vulnerabilities without logging in. Uses the service identification and the anonymous MQTT session; sends nothing itself.",
  effect: "observe",
  needs: ["ip"],
  consumes: ["tcp.services", "udp.services", "mqtt.broker-versions"],
  plan: () => [],

  async run(ctx): Promise<Outcome> {
    const tcp = ctx.facts.get("tcp.services");
    if (!tcp) return { verdict: "inconclusive", summary: "no services were identified" };
    const udp = ctx.facts.get("udp.services") ?? [];
    const brokers = ctx.facts.get("mqtt.broker-versions") ?? [];
    const address = ctx.device.network!.address;
    const products: FindingInput[] = [
      ...tcp.map((s) => ({ ...s, proto: "tcp" as const, name: s.name })),
      ...udp.map((s) => ({ ...s, proto: "udp" as const, name: s.service })),
    ]
      .filter((s) => s.product && VERSIONED.test(s.product))
      .map((s) => ({
        severity: "low",
        title: `${s.name} on port ${s.port}/${s.proto} discloses its version`,
        target: { transport: s.proto, address, port: s.port, service: s.name },
        evidence: { product: s.product },
      }));
    const kernels: FindingInput[] = tcp.flatMap((s) => {
      if (!s.banner) return [];
      // Banners keep control bytes escaped (\r, \xff): read them as spaces, so "\rLinux" still starts a word
      const text = s.banner.replace(/\\(?:x[0-9a-fA-F]{2}|[rnt\\])/g, " ");
      return bannerPatterns().flatMap(({ name, re }) => {
        const m = re.exec(text);
        return m ? [{
          severity: "low" as const,
          title: `${s.name} on port ${s.port}/tcp names the ${name} version before login`,
          target: { transport: "tcp" as const, address, port: s.port, service: s.name },
          evidence: { component: name, version: m.groups?.version ?? m[0], line: m[0] },
        }] : [];
      });
    });
    const mqtt: FindingInput[] = brokers.filter((b) => VERSIONED.test(b.version)).map((b) => ({
      severity: "low",
      title: `the MQTT broker on port ${b.port}/tcp tells anonymous clients its version (${b.topic})`,
      target: { transport: "tcp", address: b.host, port: b.port, service: b.tls ? "mqtts" : "mqtt" },
      evidence: { product: b.version, topic: b.topic },
    }));
    const findings = [...products, ...kernels, ...mqtt];
    const total = tcp.length + udp.length;
    if (findings.length === 0) return { verdict: "pass", summary: `no version disclosed by ${total} services` };
    const ports = [...new Set(findings.map((f) => `${f.target!.port}/${f.target!.transport}`))];
    return { verdict: "fail", summary: `versions disclosed on ports ${ports.join(", ")}`, findings };
  },
};
