// The iotcert command line from the sources, for tests that need it in a process of its own
// (a worker in a network namespace, one to kill -9): node --import tsx iotcert-cli.ts ARGS…
import { main } from "../../harness/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
