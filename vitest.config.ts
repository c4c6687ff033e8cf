import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // lab tests share network namespaces and addresses: one file at a time keeps them apart
    fileParallelism: true,
  },
});
