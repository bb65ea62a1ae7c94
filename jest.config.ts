import type { Config } from "jest";

const sourceFolders = ["graphs", "nodes", "tools", "server", "corpus", "cli", "evals", "bench"];

const config: Config = {
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: {
    "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "tsconfig.json" }],
  },
  testMatch: ["<rootDir>/test/**/*.test.ts"],
  // Every HTTP response of the suite is held to the OpenAPI document (docs/api.md, "OpenAPI document").
  setupFilesAfterEnv: ["<rootDir>/test/helpers/contract-setup.ts"],
  collectCoverageFrom: sourceFolders.map((dir) => `<rootDir>/${dir}/**/*.ts`),
  coverageReporters: ["text-summary", "lcov"],
  coverageThreshold: { global: { lines: 90 } },
  testTimeout: 120_000,
  maxWorkers: 2,
};

export default config;
