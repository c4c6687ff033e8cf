// The integration lab from TypeScript, for tests and benches: is it possible here, bring it up
// and down (test/lab/up.sh, down.sh), where its devices are and what they accept.
//
// A lab test starts with `const lab = requireLab()` and `describe.skipIf(lab.skip)(…)`: outside
// CI a machine without the lab (not root, daemons missing) skips with the reason; under CI=true
// the same condition throws, because a lab test must never skip in CI.
import { execFile, execFileSync } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync, readFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
/** Where up.sh keeps PID files, generated configs, keys, certificates and logs. */
export const LAB_STATE = "/run/iotcert-lab";
const UP = join(HERE, "up.sh");
const DOWN = join(HERE, "down.sh");
/** Generous: the first up generates RSA keys, and a busy CI machine is slow. */
const SCRIPT_TIMEOUT_MS = 180_000;

export interface LabDevice {
  /** Network namespace the device's daemons run in. */
  ns: string;
  address: string;
  /** Its iotcert descriptor. */
  descriptor: string;
  /** Every TCP and UDP port its daemons listen on. */
  tcp: readonly number[];
  udp: readonly number[];
}

const PLUG_TCP = [21, 22, 23, 80, 443, 1883, 5683, 8883] as const;
const PLUG_UDP = [161, 5683] as const;

/** Addresses, ports and credentials of the lab (see README "The lab"). */
export const LAB = {
  /** The root namespace's address on the lab bridge: the harness side. */
  harness: "198.18.0.1",
  /** The root namespace's end of the Wi-Fi link. */
  wifiHarness: "198.18.1.1",
  bridge: "iotc-br0",
  state: LAB_STATE,
  /** Vulnerable "Acme SmartPlug P1", unit 1. */
  vuln: { ns: "iotc-vuln", address: "198.18.0.10", descriptor: join(HERE, "devices/vuln.yaml"), tcp: PLUG_TCP, udp: PLUG_UDP },
  /** Unit 2 of the same model: unit 1's SSH host key and TLS certificate; telnet, SSH, HTTP(S) only. */
  vuln2: { ns: "iotc-vuln2", address: "198.18.0.11", descriptor: join(HERE, "devices/vuln2.yaml"), tcp: [22, 23, 80, 443], udp: [] },
  /** Hardened "Nordlys Thermostat T2". */
  hard: { ns: "iotc-hard", address: "198.18.0.20", descriptor: join(HERE, "devices/hard.yaml"), tcp: [22, 443, 8883], udp: [161] },
  /** The plug's Wi-Fi variant, behind a link of 20 ± 5 ms each way and 2 % loss each way. */
  wifi: { ns: "iotc-wifi", address: "198.18.1.10", descriptor: join(HERE, "devices/wifi.yaml"), tcp: PLUG_TCP, udp: PLUG_UDP },
  wifiLink: { delayMs: 20, jitterMs: 5, lossPct: 2 },
  /** "Acme Gateway G1": Node-RED 4 with its default settings (no adminAuth) on 1880. */
  nodered: { ns: "iotc-nodered", address: "198.18.0.30", descriptor: join(HERE, "devices/nodered.yaml"), tcp: [1880], udp: [] },
  /** "Nordlys Hub H1": the same Node-RED with adminAuth (user admin, the descriptor's password). */
  nrauth: { ns: "iotc-nrauth", address: "198.18.0.31", descriptor: join(HERE, "devices/nrauth.yaml"), tcp: [1880], udp: [] },
  /** What the plugs (vuln, vuln2, wifi) accept. */
  plugCredentials: {
    telnet: [{ username: "root", password: "xc3511" }, { username: "admin", password: "admin" }],
    ssh: [{ username: "root", password: "xc3511" }, { username: "admin", password: "admin" }],
    http: { path: "/admin/", username: "admin", password: "admin" },
    ftp: [{ username: "anonymous", password: "" }, { username: "admin", password: "admin" }],
    mqtt: { anonymousPort: 1883, tlsPort: 8883, username: "admin", password: "admin" },
    snmp: { read: "public", write: "private" },
  },
  /** vsftpd on the plugs pauses this long after a failed login and hangs up after the third. */
  ftpFailedLoginDelayS: 3,
  ftpMaxLoginFails: 3,
} as const satisfies Record<string, unknown>;

export type LabDeviceName = "vuln" | "vuln2" | "hard" | "wifi" | "nodered" | "nrauth";

/** The hardened device's per-unit password (user admin; web /admin/ and MQTT), from the running lab. */
export function hardPassword(): string {
  return readFileSync(join(LAB_STATE, "dev/hard/password"), "utf8").trim();
}

/** How the Wi-Fi link is made in the running lab: tc netem, or the userspace forwarder. */
export function wifiLink(): "netem" | "forwarder" | undefined {
  const env = readState("lab.env");
  const link = /^WIFI_LINK=(\w+)$/m.exec(env ?? "")?.[1];
  return link === "netem" || link === "forwarder" ? link : undefined;
}

/** The forwarder's packet counts per direction, when the Wi-Fi link is the forwarder. */
export function wifiForwarderStats(): Record<"to-device" | "to-harness", { forwarded: number; lost: number; refused: number }> | undefined {
  const text = readState("wifi-forwarder.stats");
  return text === undefined ? undefined : JSON.parse(text);
}

function readState(file: string): string | undefined {
  try {
    return readFileSync(join(LAB_STATE, file), "utf8");
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Can the lab run here?

const SEARCH = [...(process.env.PATH ?? "").split(delimiter), "/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"];

function which(command: string): string | undefined {
  for (const dir of SEARCH) {
    if (!dir) continue;
    const path = join(dir, command);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Debian's busybox lacks telnetd; busybox-static has it. */
function busyboxWithTelnetd(): boolean {
  for (const path of ["/bin/busybox", "/usr/bin/busybox"]) {
    if (!existsSync(path)) continue;
    try {
      if (execFileSync(path, ["--list"], { encoding: "utf8", timeout: 5000 }).split("\n").includes("telnetd")) return true;
    } catch {
      // not this one
    }
  }
  return false;
}

/** The commands up.sh and the lab tests run, with the Debian package that brings each. */
const NEEDS: [command: string, pkg: string][] = [
  ["ip", "iproute2"],
  ["ss", "iproute2"],
  ["tc", "iproute2"],
  ["flock", "util-linux"],
  ["setsid", "util-linux"],
  ["unshare", "util-linux"],
  ["openssl", "openssl"],
  ["python3", "python3"],
  ["dropbear", "dropbear-bin"],
  ["dropbearkey", "dropbear-bin"],
  ["lighttpd", "lighttpd"],
  ["vsftpd", "vsftpd"],
  ["mosquitto", "mosquitto"],
  ["mosquitto_passwd", "mosquitto"],
  ["snmpd", "snmpd"],
  ["ssh-keyscan", "openssh-client"],
  ["node", "nodejs"],
  ["setpriv", "util-linux"],
];

let cachedStatus: { available: boolean; reason?: string } | undefined;

/** Whether this machine can run the lab, and if not, why (one line). */
export function labStatus(): { available: boolean; reason?: string } {
  if (cachedStatus) return cachedStatus;
  const missing: string[] = [];
  if (process.env.IOTCERT_LAB === "off") return (cachedStatus = { available: false, reason: "IOTCERT_LAB=off" });
  if (process.platform !== "linux") return (cachedStatus = { available: false, reason: `needs Linux, not ${process.platform}` });
  if (process.getuid?.() !== 0) return (cachedStatus = { available: false, reason: "needs root (network namespaces); run the tests as root" });
  if (!existsSync("/dev/net/tun")) missing.push("/dev/net/tun");
  for (const [command, pkg] of NEEDS) if (!which(command)) missing.push(`${command} (${pkg})`);
  if (!["coap-server-notls", "coap-server-openssl", "coap-server-gnutls", "coap-server"].some((c) => which(c))) missing.push("coap-server (libcoap3-bin)");
  if (!existsSync("/usr/lib/lighttpd/mod_openssl.so")) missing.push("lighttpd's mod_openssl (lighttpd-mod-openssl)");
  if (!busyboxWithTelnetd()) missing.push("busybox with telnetd (busybox-static)");
  cachedStatus = missing.length
    ? { available: false, reason: `missing ${missing.join(", ")}; .ci/run installs them` }
    : { available: true };
  return cachedStatus;
}

/** True when the CI variable says this is a CI run. */
export function inCI(): boolean {
  return /^(true|1)$/i.test(process.env.CI ?? "");
}

/**
 * For a lab test file: whether to skip it, and why. Under CI=true an unavailable lab throws
 * instead, so that the run fails rather than passing with the lab tests skipped.
 */
export function requireLab(): { skip: boolean; reason: string } {
  const status = labStatus();
  if (status.available) return { skip: false, reason: "" };
  const reason = `integration lab unavailable: ${status.reason}`;
  if (inCI()) throw new Error(`${reason} (CI=true: lab tests must run, not skip)`);
  return { skip: true, reason };
}

// ---------------------------------------------------------------------------------------------
// Up and down

function runScript(script: string, args: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("bash", [script, ...args], { timeout: SCRIPT_TIMEOUT_MS, killSignal: "SIGTERM", maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const why = error.killed ? `timed out after ${SCRIPT_TIMEOUT_MS / 1000} s` : `exit code ${error.code}`;
        reject(new Error(`${script} failed (${why}):\n${stderr.trim() || stdout.trim()}`));
      } else {
        resolve(stderr.trim());
      }
    });
  });
}

/** Bring the lab up (a no-op when it is up). Resolves with up.sh's one-line summary. */
export function labUp(): Promise<string> {
  return runScript(UP);
}

/** Take the lab down (a no-op when it is down); `purge` also removes its keys and certificates. */
export function labDown(opts: { purge?: boolean } = {}): Promise<string> {
  return runScript(DOWN, opts.purge ? ["--purge"] : []);
}

export interface LabProcess {
  name: string;
  pid: number;
  /** Kernel start time (clock ticks since boot): tells our process from a later one with its PID. */
  start: string;
}

/** The processes up.sh started and recorded, alive or not. */
export function labProcesses(): LabProcess[] {
  let files: string[];
  try {
    files = readdirSync(join(LAB_STATE, "pids")).filter((f) => f.endsWith(".pid"));
  } catch {
    return [];
  }
  return files.flatMap((file) => {
    const [pid, start] = readFileSync(join(LAB_STATE, "pids", file), "utf8").trim().split(/\s+/);
    return pid && start ? [{ name: file.slice(0, -".pid".length), pid: Number(pid), start }] : [];
  });
}

/**
 * Whether the process is still running and is still the one up.sh started. A dead process not
 * yet reaped (a zombie: the daemons' parent is PID 1, which in a container may reap late) is not.
 */
export function processAlive(p: LabProcess): boolean {
  try {
    const stat = readFileSync(`/proc/${p.pid}/stat`, "utf8");
    // Fields 3 (state) and 22 (start time); the command name (field 2) may hold spaces and
    // parentheses, so count from its end
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] !== "Z" && fields[0] !== "X" && fields[19] === p.start;
  } catch {
    return false;
  }
}

/** True when the lab is up: its state says so and every recorded process runs. */
export function labRunning(): boolean {
  if (readState("lab.env") === undefined) return false;
  const processes = labProcesses();
  return processes.length > 0 && processes.every(processAlive);
}
