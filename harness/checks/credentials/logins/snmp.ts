// SNMP communities: a GetRequest for sysDescr.0 answered means the community reads. Agents that
// speak only SNMPv1 ignore v2c, so until the agent has answered once each community is asked in
// both versions at the same time (the same wait); after that, in the version it answered (v2c
// where it speaks both). A wrong community is silence, and so is a dead agent: silence counts as
// "rejected" only while the agent is known to be alive — it answered the service scan's probe
// (that is how it is a target), and when a community has worked during this run, that community
// is asked again to tell a wrong community from an agent that stopped answering.
// Write access is tested only with --state-changing: sysContact.0 is read, then SET to the value
// it already has, so nothing on the device changes. Without it the report says "not tested".
import { TransportError } from "../../../core/errors.js";
import type { CheckContext } from "../../../core/types.js";
import { SYS_CONTACT, SYS_DESCR, snmpRequest, valueText, type SnmpResponse, type SnmpVersion } from "../../../transports/snmp.js";
import type { Answer, Login, LoginTarget } from "./login.js";

/** Agents answer within milliseconds; a wrong community gets no answer at all, so keep this short. */
export const SNMP_TIMEOUT_MS = 1500;

/** The version field's values, in the order preferred: v2c, then v1. */
const VERSIONS: SnmpVersion[] = [1, 0];
const VERSION_NAMES: Record<SnmpVersion, string> = { 0: "SNMPv1", 1: "SNMPv2c" };

export function snmpLoginOf(ctx: CheckContext, host: string, t: LoginTarget): Login {
  /** The version the agent answered in, once it has. */
  let spoken: SnmpVersion | undefined;
  const ask = async (community: string, pdu: "get" | "set", oid: string, value?: SnmpResponse["value"]) => {
    const versions = spoken === undefined ? VERSIONS : [spoken];
    const replies = await Promise.all(versions.map((version) =>
      snmpRequest(ctx, host, t.port, { version, community, pdu, oid, ...(value ? { value } : {}), timeoutMs: SNMP_TIMEOUT_MS })));
    const answered = replies.findIndex((r) => r !== undefined);
    if (answered < 0) return undefined;
    spoken ??= versions[answered];
    return replies[answered];
  };
  /** A community that answered during this run: the liveness witness. */
  let working: string | undefined;
  /** Lists differ in user names; the community is the password: each community is asked once. */
  const answered = new Map<string, Answer>();

  /** What a community may change; anything short of an accepted SET counts as read-only (the finding is then high, not critical). */
  async function writeAccess(community: string): Promise<{ writes: boolean; note: string }> {
    const readOnly = (note: string) => ({ writes: false, note });
    if (!ctx.options.stateChanging) return readOnly("write access not tested (needs --state-changing)");
    const current = await ask(community, "get", SYS_CONTACT);
    if (!current || current.errorStatus !== 0 || current.value?.tag !== 0x04) return readOnly("write access not tested (sysContact.0 unreadable)");
    const set = await ask(community, "set", SYS_CONTACT, current.value);
    if (!set) return readOnly("write access unknown (no answer to a SET of sysContact.0 to its current value)");
    return set.errorStatus === 0
      ? { writes: true, note: "WRITE access: a SET of sysContact.0 to its current value was accepted" }
      : readOnly(`read-only: a SET of sysContact.0 to its current value was refused (error-status ${set.errorStatus})`);
  }

  return {
    untestable: async () => undefined,
    attempt: async (candidate) => {
      const community = candidate.password;
      const known = answered.get(community);
      if (known) return known;
      const reply = await ask(community, "get", SYS_DESCR);
      let answer: Answer;
      if (reply) {
        working = community;
        const access = await writeAccess(community);
        answer = { verdict: "success", readOnly: !access.writes, transcript: `community "${community}" reads (${VERSION_NAMES[spoken!]}): sysDescr.0 = "${valueText(reply.value)}"; ${access.note}` };
      } else {
        if (working !== undefined && working !== community && !(await ask(working, "get", SYS_DESCR))) {
          throw new TransportError("timeout", `${host}:${t.port}/udp: the agent stopped answering (community "${working}" no longer gets an answer)`);
        }
        answer = { verdict: "rejected", transcript: `community "${community}": no answer within ${SNMP_TIMEOUT_MS} ms` };
      }
      answered.set(community, answer);
      return answer;
    },
  };
}
