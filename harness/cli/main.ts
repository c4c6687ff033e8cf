// The iotcert command line (design.md, "Command line"). Exit codes: 0 done, 1 label below
// --require, 2 bad input, 3 the run could not complete. Each command's code is imported when
// that command runs, so `iotcert run` does not pay for loading the demo's devices.
import { Command, CommanderError } from "commander";
import { PlanError } from "../core/plan.js";
import { VERSION } from "../core/version.js";
import { ValidationError } from "../schema/load.js";
import { BadInput, type Io } from "./io.js";
import { registerMudCommands } from "./mud.js";
import type { ObserveFlags } from "./observe.js";
import type { RunFlags } from "./run.js";

function program(io: Io, setExit: (code: number) => void): Command {
  const cmd = new Command("iotcert")
    .description("Certify the security of an IoT device against a profile and grade it high / medium / low / none.")
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) });

  cmd.command("run")
    .description("certify one device and write report.json, report.html, label.svg, junit.xml, report.sarif and run.log")
    .argument("<device>", "device descriptor (YAML)")
    .option("--profile <id|file>", "certification profile", "etsi-en-303-645")
    .option("--out <dir>", "output folder (default iotcert-out/<device id>)")
    .option("--pace <pace>", "gentle, normal or fast", "normal")
    .option("--only <globs>", "run only these checks (and what they depend on), e.g. surface.*,credentials.*")
    .option("--require <level>", "exit 1 when the label is below this level")
    .option("--redact", "hide secrets found on the device in the reports")
    .option("--dry-run", "list every probe the run would send, and send nothing")
    .option("--allow-fragile", "also send payloads to fragile ports (raw print and the like)")
    .option("--state-changing", "let checks that may change the device run (the profile must name them)")
    .option("--mud-trust <ca.pem>", "trust anchor for MUD file signatures (repeat for more)", (v: string, p: string[]) => [...p, v], [] as string[])
    .option("--credentials <file>", "your own user:password list, one a line, tried after the declared credentials")
    .option("--mud-capture <file>", "pcap/pcapng capture of the device's traffic, for the mud.* checks")
    .option("--mqtt-observation <file>", "what `iotcert observe mqtt` recorded, for mqtt.observe (default: mqtt-observation.json in the output folder, if there)")
    .option("--update-trust <ca.pem>", "trust anchor for the update servers' TLS certificates (repeat for more; default: the usual web roots)", (v: string, p: string[]) => [...p, v], [] as string[])
    .option("--report-url <url>", "where report.html will be published: label.svg gets a QR code linking to it")
    .option("--attestations <file>", "the lab's verdicts on documentary provisions, from iotcert attest --file")
    .option("--verbose", "log to stderr as the run goes")
    .action(async (device: string, flags: RunFlags) => setExit(await (await import("./run.js")).runCommand(device, flags, io)));

  cmd.command("demo")
    .description("start the built-in simulated devices on loopback, certify them, and stop them")
    .option("--out <dir>", "output folder, one sub-folder per device", "iotcert-demo")
    .option("--verbose", "log to stderr as the runs go")
    .action(async (flags: { out?: string; verbose?: boolean }) => setExit(await (await import("./demo.js")).demoCommand(flags, io)));

  cmd.command("validate")
    .description("check device descriptors, profiles and data files (harness/data) against their schemas")
    .argument("<files...>", "descriptor or profile files (YAML or JSON), or edited copies of harness/data's files (by name)")
    .action(async (files: string[]) => setExit(await (await import("./validate.js")).validateCommand(files, io)));

  cmd.command("checks")
    .description("list the checks, their effect and what they test")
    .action(async () => setExit((await import("./list-checks.js")).checksCommand(io.out)));

  cmd.command("profiles")
    .description("list the shipped certification profiles")
    .action(async () => setExit(await (await import("./list-profiles.js")).profilesCommand(io.out)));

  cmd.command("observe")
    .description("lab modes that watch what a device does")
    .command("mqtt")
    .description("run an MQTT broker (plain and TLS) to point the device at; record its TLS use, credentials, topics and retained secrets for the next run")
    .option("--device <file>", "the device's descriptor: names its sessions (and its siblings'), and puts the file in its output folder")
    .option("--listen <address>", "address to listen on", "0.0.0.0")
    .option("--port <n>", "plain MQTT port (0 picks a free one)", "1883")
    .option("--tls-port <n>", "MQTT over TLS port (0 picks a free one)", "8883")
    .option("--duration <seconds>", "stop after this long (default: at Ctrl-C)")
    .option("--cert <pem>", "the broker's certificate (default: a fresh self-signed one)")
    .option("--key <pem>", "its private key")
    .option("--out <file>", "where to write the observation (default iotcert-out/<device id>/mqtt-observation.json)")
    .action(async (flags: ObserveFlags) => setExit(await (await import("./observe.js")).observeMqttCommand(flags, io)));
  cmd.command("sign")
    .description("sign a report.json with the lab's Ed25519 key (writes REPORT.sig)")
    .argument("<report>", "report.json")
    .requiredOption("--key <lab.pem>", "Ed25519 private key (PEM, e.g. from openssl genpkey -algorithm ed25519)")
    .option("--out <file>", "where to write the signature (default REPORT.sig)")
    .action(async (report: string, flags: { key: string; out?: string }) => setExit(await (await import("./sign.js")).signCommand(report, flags, io)));

  cmd.command("verify")
    .description("check a signed report: exit 0 valid, 1 edited or signed by another key")
    .argument("<report>", "report.json")
    .requiredOption("--pub <lab.pub>", "the lab's Ed25519 public key (PEM)")
    .option("--signature <file>", "the signature (default REPORT.sig)")
    .action(async (report: string, flags: { pub: string; signature?: string }) => setExit(await (await import("./verify-signature.js")).verifyCommand(report, flags, io)));

  cmd.command("diff")
    .description("compare two reports of a device: new and fixed findings, changed provisions, label; exit 1 on a regression or an incomplete new report")
    .argument("<old>", "the earlier report.json (the last release)")
    .argument("<new>", "the later report.json (this build)")
    .option("--json", "print the difference as JSON")
    .option("--allow-different", "diff reports of different devices or profiles anyway")
    .action(async (oldFile: string, newFile: string, flags: { json?: boolean; allowDifferent?: boolean }) => setExit(await (await import("./diff.js")).diffCommand(oldFile, newFile, flags, io)));

  cmd.command("campaign")
    .description("certify many devices, a few at a time, one report folder each (DIR/<id>/mqtt-observation.json and mud-capture.pcap[ng] are read when there); a rerun skips devices already done with the same inputs")
    .argument("<devices...>", "device descriptors (YAML)")
    .requiredOption("--out <dir>", "output folder, one sub-folder per device id")
    .option("--profile <id|file>", "certification profile", "etsi-en-303-645")
    .option("--pace <pace>", "gentle, normal or fast, for each device", "normal")
    .option("--parallel <n>", "devices certified at the same time (each at its pace)", "2")
    .option("--only <globs>", "run only these checks (and what they depend on), e.g. surface.*,credentials.*")
    .option("--redact", "hide secrets found on the devices in the reports")
    .option("--allow-fragile", "also send payloads to fragile ports (raw print and the like)")
    .option("--state-changing", "let checks that may change the devices run (the profile must name them)")
    .option("--credentials <file>", "your own user:password list, tried on every device after its declared credentials")
    .option("--attestations <file>", "a device's attestation file from iotcert attest --file (repeat, one per device; each names its device)", (v: string, p: string[]) => [...p, v], [] as string[])
    .option("--mud-trust <ca.pem>", "trust anchor for MUD file signatures (repeat for more)", (v: string, p: string[]) => [...p, v], [] as string[])
    .option("--update-trust <ca.pem>", "trust anchor for the update servers' TLS certificates (repeat for more)", (v: string, p: string[]) => [...p, v], [] as string[])
    .option("--report-url-base <url>", "where DIR will be published: each label.svg gets a QR code to <url>/<device id>/report.html")
    .option("--queue <redis-url>", "distribute: queue each device for the workers of its lab (redis://HOST:PORT[/DB], rediss:// for TLS); DIR must be shared with them")
    .option("--lab <name>", "with --queue: the lab of descriptors that name none")
    .option("--retry-incomplete", "with --queue: run again the devices whose worker was lost mid-device")
    .option("--queue-ca <pem>", "with rediss://: CA certificates to trust for Redis (default: the system's)")
    .action(async (devices: string[], flags: import("./campaign.js").CampaignFlags) => setExit(await (await import("./campaign.js")).campaignCommand(devices, flags, io)));

  cmd.command("worker")
    .description("take the devices of one lab from the queue and certify them as `campaign` would, until Ctrl-C")
    .requiredOption("--queue <redis-url>", "the coordinator's Redis: redis://HOST:PORT[/DB], rediss:// for TLS (password in the URL or IOTCERT_REDIS_PASSWORD)")
    .requiredOption("--lab <name>", "the lab network this machine is on: only its devices are taken")
    .option("--concurrency <n>", "devices certified at the same time (each at its pace)", "1")
    .option("--queue-ca <pem>", "with rediss://: CA certificates to trust for Redis (default: the system's)")
    .option("--name <name>", "this worker's name in the coordinator's messages (default host:pid)")
    .action(async (flags: import("../queue/worker.js").WorkerFlags) => setExit(await (await import("../queue/worker.js")).workerCommand(flags, io)));

  cmd.command("compare")
    .description("put many devices' reports side by side: compare.html (sortable, with labels) and compare.csv")
    .argument("<reports...>", "report.json files")
    .requiredOption("--out <dir>", "output folder")
    .option("--report-url-base <url>", "where the reports are published: labels get a QR code to <url>/<device id>/report.html")
    .action(async (reports: string[], flags: { out: string; reportUrlBase?: string }) => setExit(await (await import("./compare.js")).compareCommand(reports, flags, io)));

  cmd.command("attest")
    .description("record the lab's verdicts on a profile's documentary provisions, one question each")
    .argument("<device>", "device descriptor (YAML); answers go into its attestations unless --file")
    .option("--profile <id|file>", "certification profile", "etsi-en-303-645")
    .option("--file <attestations.yaml>", "keep the answers in this file instead (read by run --attestations)")
    .option("--by <name>", "who attests, recorded with each answer")
    .action(async (device: string, flags: import("./attest.js").AttestFlags) => setExit(await (await import("./attest.js")).attestCommand(device, flags, io)));

  registerMudCommands(cmd, io, setExit);
  return cmd;
}

export async function main(argv: string[], io: Io = { out: process.stdout, err: process.stderr, in: process.stdin }): Promise<number> {
  let code = 0;
  try {
    await program(io, (c) => (code = c)).parseAsync(argv, { from: "user" });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof ValidationError) {
      io.err.write(`${err.format()}\n`);
      return 2;
    }
    if (err instanceof BadInput || err instanceof PlanError) {
      io.err.write(`iotcert: ${err.message}\n`);
      return 2;
    }
    io.err.write(`iotcert: the run could not complete: ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env.IOTCERT_DEBUG && err instanceof Error) io.err.write(`${err.stack}\n`);
    return 3;
  }
}
