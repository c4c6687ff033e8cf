// The web logins the credential check tries without any descriptor loginForms: the known stacks of
// harness/data/form-logins.yaml (validated against harness/schema/data/form-logins.schema.json at
// load), each recognised on an HTTP service by one bounded GET; and the descriptor's own forms.
import { loadData } from "../../../core/data.js";
import { TransportError } from "../../../core/errors.js";
import type { Service } from "../../../core/facts.js";
import type { CheckContext } from "../../../core/types.js";
import type { Descriptor } from "../../../schema/types.js";
import { httpGet, type HttpResponse } from "../../../transports/http.js";
import type { AnswerShape, KnownLockout, WebForm } from "./form.js";
import { REPLY_TIMEOUT_MS, type LoginTarget } from "./login.js";

interface LibraryEntry {
  id: string;
  product: string;
  source: string;
  recognise: { path: string; status?: number; bodyIncludes?: string; json?: Record<string, string> };
  request: {
    method: "POST";
    path: string;
    contentType: WebForm["contentType"];
    usernameField: string;
    passwordField: string;
    fields?: Record<string, string>;
    nonEmpty?: boolean;
  };
  success: AnswerShape;
  failure?: { status: number[] };
  lockout?: KnownLockout;
}

const FILE = "form-logins.yaml";
const PAGE_BYTES = 16 * 1024;

let library: LibraryEntry[] | undefined;

export function formLibrary(): LibraryEntry[] {
  if (!library) {
    library = loadData<{ logins: LibraryEntry[] }>(FILE).logins;
  }
  return library;
}

const HTTP_SERVICES = new Set(["http", "https"]);

function recognised(entry: LibraryEntry, res: HttpResponse): boolean {
  const { status, bodyIncludes, json } = entry.recognise;
  if (status !== undefined && res.status !== status) return false;
  const body = res.body.toString("utf8");
  if (bodyIncludes !== undefined && !body.includes(bodyIncludes)) return false;
  if (json) {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      return false;
    }
    if (!value || typeof value !== "object") return false;
    if (!Object.entries(json).every(([key, expected]) => (value as Record<string, unknown>)[key] === expected)) return false;
  }
  return true;
}

function libraryForm(entry: LibraryEntry): WebForm {
  const r = entry.request;
  return {
    product: entry.product, path: r.path, contentType: r.contentType,
    usernameField: r.usernameField, passwordField: r.passwordField, fields: r.fields ?? {},
    success: entry.success,
    ...(entry.failure ? { failureStatuses: entry.failure.status } : {}),
    ...(entry.lockout ? { lockout: entry.lockout } : {}),
  };
}

const formTarget = (form: WebForm, port: number, tls: boolean, nonEmpty = false): LoginTarget => ({
  name: `form ${form.path}`, kind: "form", port, tls, form, ...(nonEmpty ? { nonEmpty } : {}),
});

/** The descriptor's web login forms. */
export function descriptorFormTargets(device: Descriptor): LoginTarget[] {
  return (device.loginForms ?? []).map((f) => {
    const url = new URL(f.url);
    const tls = url.protocol === "https:";
    const form: WebForm = {
      product: "the descriptor's form", path: url.pathname + url.search,
      contentType: "application/x-www-form-urlencoded", usernameField: f.usernameField, passwordField: f.passwordField,
      fields: f.fields ?? {}, success: f.success,
    };
    return formTarget(form, Number(url.port) || (tls ? 443 : 80), tls);
  });
}

/** Failures that say nothing about the device end the check; any other only means "not this stack". */
const endsTheCheck = (err: unknown) => !(err instanceof TransportError) || err.kind === "aborted" || err.kind === "out-of-scope";

/**
 * The library's logins recognised on the HTTP services the scan found: each entry's GET on each
 * service, in list order. A login the descriptor already describes (same port and path) is not
 * added twice.
 */
export async function recognisedFormTargets(ctx: CheckContext, host: string, services: Service[], described: LoginTarget[]): Promise<LoginTarget[]> {
  const targets: LoginTarget[] = [];
  for (const s of services.filter((s) => HTTP_SERVICES.has(s.name))) {
    for (const entry of formLibrary()) {
      if (described.some((d) => d.port === s.port && d.form?.path === entry.request.path)) continue;
      ctx.progress(`port ${s.port}: is it ${entry.product}?`);
      let res: HttpResponse;
      try {
        res = await httpGet(ctx, { host, port: s.port, tls: s.tls, path: entry.recognise.path, maxBytes: PAGE_BYTES, timeoutMs: ctx.pace.settings.connectTimeoutMs + REPLY_TIMEOUT_MS });
      } catch (err) {
        if (endsTheCheck(err)) throw err;
        ctx.log.debug({ port: s.port, entry: entry.id, err: (err as Error).message }, "form login not recognised: no answer");
        continue;
      }
      if (recognised(entry, res)) targets.push(formTarget(libraryForm(entry), s.port, s.tls, entry.request.nonEmpty === true));
    }
  }
  return targets;
}
