// `iotcert mud …`: MUD (RFC 8520) on the command line, without a device run.
//   mud validate FILE|URL [--signature SIG] [--trust CA.pem]…   0 valid, 1 invalid (a reason a line), 2 bad input
//   mud url CERT|CAPTURE                                        the MUD URL in a certificate, or those in a capture
//   mud conform MUDFILE CAPTURE --device-ip ADDR…               0 conforms, 1 flows not permitted (a line each)
//   mud generate CAPTURE --device-ip ADDR… --mud-url URL        a proposed MUD file, valid by the same schema
//   mud listen --interface IF [--duration S]                    MUD URLs in DHCP and LLDP on a lab network
// The work is in mud-commands.ts, loaded when a mud command runs: the MUD library is slow to import.
import type { Command } from "commander";
import type { ConformFlags, GenerateFlags } from "./mud-commands.js";
import type { Io } from "./io.js";

const commands = () => import("./mud-commands.js");

export function registerMudCommands(program: Command, io: Io, setExit: (code: number) => void): void {
  const mud = program.command("mud").description("MUD (RFC 8520): validate, verify and generate MUD files, find MUD URLs, judge traffic");
  const collect = (value: string, previous: string[]) => [...previous, value];

  mud.command("validate")
    .description("validate a MUD file (a local file or an https URL) and optionally its signature; a reason a line")
    .argument("<file|url>", "the MUD file, or its https URL (fetched from that host only)")
    .option("--signature <file>", "its detached CMS signature (DER); a URL's mud-signature is fetched when not given")
    .option("--trust <ca.pem>", "a trust anchor for the signature (repeat for more)", collect, [])
    .option("--url <url>", "the URL the file was published at: its mud-url must name it")
    .action(async (target: string, flags: { signature?: string; trust: string[]; url?: string }) => setExit(await (await commands()).validateCommand(target, flags, io)));

  mud.command("url")
    .description("print the MUD URL in a certificate (PEM or DER), or every MUD URL in a capture (DHCP, LLDP)")
    .argument("<file>", "a certificate, or a pcap/pcapng capture")
    .action(async (file: string) => setExit(await (await commands()).urlCommand(file, io)));

  mud.command("conform")
    .description("judge every flow of the device in a capture by its MUD file; one line per flow not permitted")
    .argument("<mudfile>", "the device's MUD file")
    .argument("<capture>", "a pcap or pcapng capture of its traffic")
    .option("--device-ip <addr>", "an address of the device (repeat for its others)", collect, [])
    .option("--local-network <cidr>", "a prefix local-networks stands for (default: private, ULA and link-local ranges)", collect, [])
    .option("--controller <uri=addr>", "an address of a controller class (repeat)", collect, [])
    .option("--my-controller <addr>", "an address my-controller stands for (repeat)", collect, [])
    .action(async (mudfile: string, capture: string, flags: ConformFlags) => setExit(await (await commands()).conformCommand(mudfile, capture, flags, io)));

  mud.command("generate")
    .description("propose a MUD file from a device's observed traffic (review it before publishing)")
    .argument("<capture>", "a pcap or pcapng capture of the device's traffic")
    .option("--device-ip <addr>", "an address of the device (repeat for its others)", collect, [])
    .requiredOption("--mud-url <url>", "the https URL the file will be published at")
    .option("--local-network <cidr>", "a prefix to express as local-networks (repeat)", collect, [])
    .option("--mfg-name <name>", "manufacturer name for the file")
    .option("--model-name <name>", "model name for the file")
    .option("--out <file>", "write the file here instead of standard output")
    .action(async (capture: string, flags: GenerateFlags) => setExit(await (await commands()).generateCommand(capture, flags, io)));

  mud.command("listen")
    .description("watch a lab network for MUD URLs in DHCPv4, DHCPv6 and LLDP (needs tshark and capture rights)")
    .requiredOption("--interface <if>", "the lab network's interface")
    .option("--duration <seconds>", "how long to listen", "60")
    .action(async (flags: { interface: string; duration: string }) => setExit(await (await commands()).listenCommand(flags, io)));
}
