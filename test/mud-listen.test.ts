// `iotcert mud listen` on a real network: two network namespaces this test creates, joined by a
// veth pair, addresses from 198.18.0.0/15 only. The listener runs tshark on its end; the "device"
// broadcasts DHCP requests carrying option 161 from the other. Needs root, iproute2 and tshark;
// skips with the reason elsewhere.
import { execFileSync, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dhcpRequestPayload } from "./fixtures/mud/pcap.js";

const has = (cmd: string) => {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};
const skipReason = process.getuid?.() !== 0 ? "needs root" : !has("ip") ? "needs iproute2" : !has("tshark") ? "needs tshark" : undefined;

const tag = `mudl${process.pid % 100000}`;
const NS_LISTEN = `iotc-${tag}-l`;
const NS_DEVICE = `iotc-${tag}-d`;
const IF_LISTEN = `${tag}l`;
const IF_DEVICE = `${tag}d`;
const URL = "https://lighting.example.com/lightbulb2000";

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });

describe.skipIf(skipReason)(`iotcert mud listen on a lab network${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  beforeAll(() => {
    ip("netns", "add", NS_LISTEN);
    ip("netns", "add", NS_DEVICE);
    ip("link", "add", IF_LISTEN, "netns", NS_LISTEN, "type", "veth", "peer", "name", IF_DEVICE, "netns", NS_DEVICE);
    ip("-n", NS_LISTEN, "addr", "add", "198.18.250.1/24", "dev", IF_LISTEN);
    ip("-n", NS_DEVICE, "addr", "add", "198.18.250.2/24", "dev", IF_DEVICE);
    ip("-n", NS_LISTEN, "link", "set", IF_LISTEN, "up");
    ip("-n", NS_DEVICE, "link", "set", IF_DEVICE, "up");
  });
  afterAll(() => {
    for (const ns of [NS_LISTEN, NS_DEVICE]) {
      try {
        ip("netns", "del", ns);
      } catch {
        // already gone
      }
    }
  });

  it("prints the MUD URL a device sends in DHCP option 161, with its MAC", async () => {
    const listener = spawn("ip", ["netns", "exec", NS_LISTEN, process.execPath, "--import", "tsx", "test/fixtures/mud/cli.ts", "mud", "listen", "--interface", IF_LISTEN, "--duration", "12"],
      { cwd: process.cwd(), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    listener.stdout.on("data", (d: Buffer) => (out += d.toString()));
    listener.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => listener.on("close", resolve));

    // The device keeps asking, as DHCP clients do, until the listener has seen it
    const payload = dhcpRequestPayload("02:00:00:00:00:10", URL).toString("hex");
    const send = `const s=require("dgram").createSocket("udp4");s.bind(68,"198.18.250.2",()=>{s.setBroadcast(true);s.send(Buffer.from(process.argv[1],"hex"),67,"198.18.250.255",()=>s.close())})`;
    for (let i = 0; i < 22 && !out.includes(URL); i++) {
      await new Promise((r) => setTimeout(r, 500));
      execFileSync("ip", ["netns", "exec", NS_DEVICE, process.execPath, "-e", send, payload]);
    }
    const code = await exited;
    expect(err).toContain(`listening on ${IF_LISTEN} for 12 s`);
    expect(out.split("\n")[0]).toMatch(new RegExp(`^${URL.replace(/[./]/g, "\\$&")}  \\(DHCPv4 option 161, \\S+Z, 02:00:00:00:00:10\\)$`));
    expect(code).toBe(0);
  }, 40_000);
});
