// SNMP communities: a GetRequest for sysDescr.0 answered means the community reads. Every
// community of the list is asked (everyCredential): each is a key of its own, and the one that
// writes is the finding that matters most. Agents that speak only SNMPv1 ignore v2c, so until the
// agent has answered once each community is asked in both versions at the same time (the same
// wait); after that, in the version it answered (v2c where it speaks both). A wrong community is
// silence, and so is a dead agent: silence counts as "rejected" only while the agent is known to
// be alive — it answered the service scan's probe (that is how it is a target), and when a
// community has worked during this run, that community is asked again to tell a wrong community
// from an agent that stopped answering.
// Write access is tested only with --state-changing: sysContact.0 is read, then SET to the value
// it already has, so nothing on the device changes. Without it the report says "not tested".
import { TransportError } from "../../../core/errors.js";
import type { CheckContext } from "../../../core/types.js";
import { isOctetString, snmpRequest, SYS_CONTACT, SYS_DESCR, valueText, type SnmpOperation, type SnmpResult } from "../../../transports/snmp.js";
import type { Answer, Login, LoginTarget } from "./login.js";

/** Agents answer within milliseconds; a wrong community gets no answer at all, so keep this short. */
export const SNMP_TIMEOUT_MS = 1500;

type CommunityVersion = "2c" | "1";
/** In the order preferred. */
const VERSIONS: CommunityVersion[] = ["2c", "1"];
const VERSION_NAMES: Record<CommunityVersion, string> = { "1": "SNMPv1", "2c": "SNMPv2c" };

export function snmpLoginOf(ctx: CheckContext, host: string, t: LoginTarget): Login {
  const target = { link: ctx, host, port: t.port, timeoutMs: SNMP_TIMEOUT_MS };
  /** The version the agent answered in, once it has. */
  let spoken: CommunityVersion | undefined;
  /** An answer to `community`, or undefined for silence. */
  const ask = async (community: string, op: SnmpOperation): Promise<Exclude<SnmpResult, { kind: "silence" }> | undefined> => {
    const versions = spoken === undefined ? VERSIONS : [spoken];
    const replies = await Promise.all(versions.map((version) => snmpRequest(target, { version, community }, op)));
    const answered = replies.findIndex((r) => r.kind !== "silence");
    if (answered < 0) return undefined;
    spoken ??= versions[answered];
    return replies[answered] as Exclude<SnmpResult, { kind: "silence" }>;
  };
  /** A community that answered during this run: the liveness witness. */
  let working: string | undefined;

  /** What a community may change; anything short of an accepted SET counts as read-only (the finding is then high, not critical). */
  async function writeAccess(community: string): Promise<{ writes: boolean; access: string; note: string }> {
    const readOnly = (access: string, note: string) => ({ writes: false, access, note });
    if (!ctx.options.stateChanging) return readOnly("read; write not tested", "write access not tested: a SET changes the device's state, which needs --state-changing");
    const current = await ask(community, { pdu: "get", oid: SYS_CONTACT });
    const contact = current?.kind === "response" ? current.varbinds[0] : undefined;
    if (!isOctetString(contact)) return readOnly("read; write not tested", "write access not tested (sysContact.0 unreadable)");
    const set = await ask(community, { pdu: "set", varbind: { oid: SYS_CONTACT, type: contact.type, value: contact.value } });
    if (!set) return readOnly("read; write unknown", "write access unknown (no answer to a SET of sysContact.0 to its current value)");
    return set.kind === "response"
      ? { writes: true, access: "read, write", note: "WRITE access: a SET of sysContact.0 to its current value was accepted" }
      : readOnly("read", `read-only: a SET of sysContact.0 to its current value was refused (${set.kind === "error-status" ? set.status : set.kind})`);
  }

  return {
    everyCredential: true,
    untestable: async () => undefined,
    attempt: async (candidate): Promise<Answer> => {
      const community = candidate.password;
      const reply = await ask(community, { pdu: "get", oid: SYS_DESCR });
      if (reply) {
        working = community;
        const { writes, access, note } = await writeAccess(community);
        const descr = reply.kind === "response" ? `sysDescr.0 = "${valueText(reply.varbinds[0])}"` : `a GET of sysDescr.0 answered (${reply.kind === "error-status" ? reply.status : reply.kind})`;
        return { verdict: "success", readOnly: !writes, access, transcript: `the community reads (${VERSION_NAMES[spoken!]}): ${descr}; ${note}` };
      }
      if (working !== undefined && working !== community && !(await ask(working, { pdu: "get", oid: SYS_DESCR }))) {
        throw new TransportError("timeout", `${host}:${t.port}/udp: the agent stopped answering (a community that worked no longer gets an answer)`);
      }
      return { verdict: "rejected", transcript: `no answer within ${SNMP_TIMEOUT_MS} ms` };
    },
  };
}
