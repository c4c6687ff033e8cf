// Which identified services have a login the credential check can try, and how to drive each.
// A new login service is a file beside this one and a line in each of the two tables below.
import type { Service } from "../../../core/facts.js";
import type { CheckContext } from "../../../core/types.js";
import { httpBasicLoginOf } from "./http-basic.js";
import type { Login, LoginTarget } from "./login.js";
import { telnetLoginOf } from "./telnet.js";

/** The login targets one identified service offers (none for most). */
const TARGETS: Record<string, (s: Service) => LoginTarget[]> = {
  telnet: (s) => [{ name: s.name, kind: "telnet", port: s.port, tls: s.tls }],
  http: basicAuthTargets,
  https: basicAuthTargets,
};

const DRIVERS: Record<LoginTarget["kind"], (ctx: CheckContext, host: string, t: LoginTarget) => Login> = {
  telnet: telnetLoginOf,
  http: httpBasicLoginOf,
};

function basicAuthTargets(s: Service): LoginTarget[] {
  const basic = s.http?.find((page) => page.authScheme === "basic");
  return basic ? [{ name: s.name, kind: "http", port: s.port, tls: s.tls, path: basic.path }] : [];
}

export function loginTargets(services: Service[]): LoginTarget[] {
  return services.flatMap((s) => TARGETS[s.name]?.(s) ?? []);
}

export function loginFor(ctx: CheckContext, host: string, target: LoginTarget): Login {
  return DRIVERS[target.kind](ctx, host, target);
}
