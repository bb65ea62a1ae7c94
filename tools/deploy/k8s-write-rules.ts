/** `npx tsx tools/deploy/k8s-write-rules.ts [--check]`: see tools/deploy/k8s-prometheus-rule.ts. */
import { fileURLToPath } from "node:url";
import { MANIFEST_FILE, RULES_FILE, writePrometheusRule } from "./k8s-prometheus-rule.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const outcome = writePrometheusRule(root, { check: process.argv.includes("--check") });
if (outcome === "differs") {
  console.error(`${MANIFEST_FILE} differs from ${RULES_FILE}: run npx tsx tools/deploy/k8s-write-rules.ts`);
  process.exitCode = 1;
} else {
  console.log(`${MANIFEST_FILE} ${outcome === "written" ? "written from" : "matches"} ${RULES_FILE}`);
}
