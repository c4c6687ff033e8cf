#!/usr/bin/env node
// The bundled CLI lives in dist/cli (built by `npm run build`, which `npm ci` runs through "prepare").
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write("iotcert: not built yet; run `npm ci` (or `npm run build`) in the package folder\n");
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
