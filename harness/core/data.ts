// Knowledge kept as data under harness/data (credential lists, fragile ports, …), read once.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { packagePath } from "./paths.js";

const cache = new Map<string, unknown>();

/** Parse harness/data/<name> (YAML) once per process. */
export function loadData<T>(name: string): T {
  if (!cache.has(name)) cache.set(name, parse(readFileSync(packagePath("harness", "data", name), "utf8")));
  return cache.get(name) as T;
}

/** Read harness/data/<name> as text once per process (CSV lists). */
export function loadDataText(name: string): string {
  const key = `text:${name}`;
  if (!cache.has(key)) cache.set(key, readFileSync(packagePath("harness", "data", name), "utf8"));
  return cache.get(key) as string;
}
