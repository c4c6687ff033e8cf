// Build step: bundle the command line into dist/cli with esbuild. Loading some 330 separate
// modules (ours and yaml's, commander's, ajv's) took longer at start-up than a short run's own
// work; one bundle with a chunk per lazily loaded part starts in a fraction of that. Types are
// checked by `npm test` (tsc --noEmit), not here.
//
// Bundled: our code and the pure-JavaScript packages every run loads at start. Every other
// package stays an import from node_modules: the native ones (noble, serialport, ssh2), those
// that find their own files at run time (pino's transports), and those only some runs need.
import { build } from "esbuild";
import { rmSync } from "node:fs";

const BUNDLED = new Set(["yaml", "commander", "ajv", "ajv-formats", "canonicalize", "coap-packet"]);

/** The package a bare import names: "ajv/dist/2020.js" → "ajv", "@scope/x/y" → "@scope/x". */
const packageOf = (specifier) => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");

const keepOthersExternal = {
  name: "keep-others-external",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("node:") || BUNDLED.has(packageOf(args.path))) return undefined;
      return { path: args.path, external: true };
    });
  },
};

const outdir = new URL("../dist/cli/", import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [new URL("../harness/cli/main.ts", import.meta.url).pathname],
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // The bundled CommonJS packages (yaml, commander, ajv) call require() for Node's own modules.
  banner: { js: 'import { createRequire as __iotcertRequire } from "node:module"; const require = __iotcertRequire(import.meta.url);' },
  plugins: [keepOthersExternal],
  logLevel: "warning",
});
