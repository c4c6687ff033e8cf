import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The integration lab (test/lab) comes up once for all files and goes down after them.
    globalSetup: ["test/lab/global-setup.ts"],
    projects: [
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: ["test/lab/**"] } },
      // Lab files share one set of namespaces, and lab.test.ts takes it down and up again:
      // they run one at a time, after the unit tests.
      { extends: true, test: { name: "lab", include: ["test/lab/**/*.test.ts"], fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
