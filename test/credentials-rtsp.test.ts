import { afterEach, describe, expect, it } from "vitest";
import { defaultPasswords } from "../harness/checks/credentials/default-passwords.js";
import { Pace } from "../harness/core/pace.js";
import type { Descriptor } from "../harness/schema/types.js";
import { makeContext } from "./helpers/context.js";
import { startCamera, type Camera, type CameraOptions } from "./helpers/rtsp-camera.js";

const cameras: Camera[] = [];
afterEach(async () => {
  for (const c of cameras.splice(0)) await c.close();
});

async function camera(opts: CameraOptions): Promise<Camera> {
  const c = await startCamera(opts);
  cameras.push(c);
  return c;
}

const WRONG = Array.from({ length: 6 }, (_, i) => ({ username: "admin", password: `wrong${i}` }));

function run(c: Camera, pace = Pace.named("fast", { attemptsPerService: 7 }), extra = WRONG) {
  const device: Descriptor = { id: "cam", vendor: "V", model: "M", firmware: "1", network: { address: "127.0.0.1", tcpPorts: String(c.port) } };
  return defaultPasswords.run(makeContext({
    device, checkId: defaultPasswords.id, pace, options: { extraCredentials: extra },
    facts: { "tcp.services": [{ port: c.port, name: "rtsp", tls: false }] },
  }));
}

describe("credentials.default-passwords over RTSP", () => {
  it.each(["basic", "digest"] as const)("finds the camera's admin/12345 by %s authentication, after the wrong pairs", async (scheme) => {
    const c = await camera({ scheme, username: "admin", password: "12345" });
    const outcome = await run(c, Pace.named("fast", { attemptsPerService: 7, loginsAtOnce: 1 }), [...WRONG, { username: "admin", password: "12345" }]);
    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings?.[0]).toMatchObject({
      severity: "critical",
      title: `rtsp on port ${c.port} accepts a default password for "admin"`,
      evidence: { service: "rtsp", username: "admin", password: "12345", attemptsBeforeSuccess: 6 },
    });
    expect(c.requests.filter((r) => r.method !== "DESCRIBE")).toEqual([]);
    expect(c.requests.filter((r) => r.ok)).toHaveLength(1);
  });

  it("passes when every pair is refused, counting each", async () => {
    const c = await camera({ scheme: "digest", username: "admin", password: "not-in-any-list" });
    const outcome = await run(c, Pace.named("fast", { attemptsPerService: 6 }));
    expect(outcome.verdict).toBe("pass");
    expect(outcome.evidence).toEqual({ services: [expect.objectContaining({ service: "rtsp", tried: 6, of: 6 })] });
  });

  it("never takes a stale nonce for a wrong password: parallel attempts racing for one-time nonces still find the pair", async () => {
    const c = await camera({ scheme: "digest", username: "admin", password: "12345", oneTimeNonces: true });
    const list = [...WRONG.slice(0, 3), { username: "admin", password: "12345" }, ...WRONG.slice(3)];
    const outcome = await run(c, Pace.named("fast", { attemptsPerService: 7 }), list);
    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings?.[0]?.evidence).toMatchObject({ password: "12345", attemptsBeforeSuccess: 3 });
    // All seven started on the one nonce of the first 401: six were told it was stale and asked again
    expect(c.requests.filter((r) => r.authorized).length).toBeGreaterThan(7);
  });

  it("fails a camera whose stream needs no credentials at all, sending no pair", async () => {
    const c = await camera({ scheme: "basic", username: "", password: "", open: true });
    const outcome = await run(c);
    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings).toEqual([expect.objectContaining({
      severity: "critical",
      title: `rtsp on port ${c.port} accepts anonymous logins`,
      evidence: expect.objectContaining({ service: "rtsp", source: "anonymous", attemptsBeforeSuccess: 0, transcript: expect.stringMatching(/without credentials: 200/) }),
    })]);
    expect(c.requests).toEqual([{ method: "DESCRIBE", authorized: false, ok: true }]);
  });
});
