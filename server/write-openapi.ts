/** `npm run openapi`: writes the OpenAPI document the code builds to docs/openapi.json. */
import { writeFileSync } from "node:fs";
import { openApiJson } from "./openapi.js";

const target = new URL("../docs/openapi.json", import.meta.url);
writeFileSync(target, openApiJson());
process.stdout.write(`wrote ${target.pathname}\n`);
