// What the BLE checks know about GATT as data (harness/data/ble-*.yaml): which characteristics
// hold personal data, which writable ones are control points, and what owner data looks like in
// the text a device says about itself.
import { loadData } from "../../core/data.js";
import type { Severity } from "../../core/types.js";

interface PersonalData {
  characteristics: { uuid: string; name: string }[];
  textPatterns: { id: string; title: string; regex: string }[];
}

interface ControlPoints {
  controlPoints: { uuid: string; name: string; severity: Severity }[];
  otherWritable: { severity: Severity };
}

const personal = () => loadData<PersonalData>("ble-personal-data.yaml");
const control = () => loadData<ControlPoints>("ble-control-points.yaml");

const SIG_BASE = /^0000([0-9a-f]{4})00001000800000805f9b34fb$/;

/** A UUID as the data files write it: lower-case hex without dashes, SIG-based ones as 16 bits. */
export function shortUuid(uuid: string): string {
  const plain = uuid.toLowerCase().replace(/-/g, "");
  return SIG_BASE.exec(plain)?.[1] ?? plain;
}

/** The personal data a characteristic holds by definition, by its name. */
export function personalDataName(uuid: string): string | undefined {
  const id = shortUuid(uuid);
  return personal().characteristics.find((c) => c.uuid === id)?.name;
}

/** How bad it is when `uuid` takes writes from anyone, and what it is. */
export function writeRisk(uuid: string): { name?: string; severity: Severity } {
  const id = shortUuid(uuid);
  const known = control().controlPoints.find((c) => c.uuid === id);
  return known ? { name: known.name, severity: known.severity } : { severity: control().otherWritable.severity };
}

/** Device bytes as text to search: UTF-8 (user-set names are), control bytes and invalid ones as spaces. */
export function textOf(data: Buffer): string {
  return data.toString("utf8").replace(/[\x00-\x1f\x7f\ufffd]+/g, " ");
}

/** The kinds of owner data (e-mail address, owner's name, …) that `text` shows. */
export function ownerDataIn(text: string): { id: string; title: string }[] {
  return personal().textPatterns.filter((p) => new RegExp(p.regex).test(text)).map(({ id, title }) => ({ id, title }));
}
