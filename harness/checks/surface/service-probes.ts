// Active service probes (harness/data/service-probes.yaml): a payload, and patterns that name the
// service from the answer. Data, so a new protocol is a data change.
import { loadData } from "../../core/data.js";

interface ProbeData {
  name: string;
  ports?: number[];
  payload?: string;
  payloadHex?: string;
  matches: { service: string; pattern?: string; hex?: string }[];
}

export interface ServiceProbe {
  name: string;
  ports: number[];
  payload: Buffer;
  /** The service the answer shows, with its product when the answer names one. */
  match(answer: Buffer): { name: string; product?: string } | undefined;
}

let probes: ServiceProbe[] | undefined;

function compile(p: ProbeData): ServiceProbe {
  const matchers = p.matches.map((m) => ({
    service: m.service,
    re: new RegExp(m.pattern ?? m.hex!, "s"),
    onHex: m.pattern === undefined,
  }));
  return {
    name: p.name,
    ports: p.ports ?? [],
    payload: p.payloadHex !== undefined ? Buffer.from(p.payloadHex, "hex") : Buffer.from(p.payload ?? "", "latin1"),
    match(answer) {
      const text = answer.toString("latin1");
      const hex = answer.toString("hex");
      for (const m of matchers) {
        const found = m.re.exec(m.onHex ? hex : text);
        if (found) {
          const product = found.groups?.product?.trim();
          return product ? { name: m.service, product } : { name: m.service };
        }
      }
      return undefined;
    },
  };
}

/** All probes, those hinted at `port` first. */
export function probesFor(port: number): ServiceProbe[] {
  probes ??= loadData<{ probes: ProbeData[] }>("service-probes.yaml").probes.map(compile);
  return [...probes.filter((p) => p.ports.includes(port)), ...probes.filter((p) => !p.ports.includes(port))];
}
