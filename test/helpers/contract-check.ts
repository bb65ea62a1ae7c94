import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import ajvFormats from "ajv-formats";
import type { RecordedResponse } from "./contract-recorder.js";

type Json = Record<string, unknown>;

const DOCUMENT_ID = "urn:guichet:openapi";
const JSON_TYPES = /^application\/(?:[\w.+-]+\+)?json$/;
const escape = (segment: string) => segment.replace(/~/g, "~0").replace(/\//g, "~1");

interface Located {
  pointer: string;
  value: Json;
}

/** Holds recorded responses to an OpenAPI document: what is wrong with each, in words. */
export class ContractChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly templates: Array<{ template: string; pattern: RegExp }>;

  constructor(private readonly document: Json) {
    // A CommonJS module: its function is also its `default`.
    ajvFormats.default(this.ajv);
    this.ajv.addSchema(document, DOCUMENT_ID);
    // Fixed paths before templated ones; matched as Express routes them: any case, one optional trailing slash.
    this.templates = Object.keys(document.paths as Json)
      .sort((a, b) => Number(a.includes("{")) - Number(b.includes("{")))
      .map((template) => ({
        template,
        pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}/?$`, "i"),
      }));
  }

  /** The value at a JSON pointer of the document, following `$ref`s. */
  private at(pointer: string): Located | undefined {
    let value: unknown = this.document;
    for (const segment of pointer.split("/").slice(1)) {
      value = (value as Json | undefined)?.[segment.replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    if (value === undefined || value === null || typeof value !== "object") return undefined;
    const target = (value as Json).$ref;
    return typeof target === "string" && target.startsWith("#/") ? this.at(target.slice(1)) : { pointer, value: value as Json };
  }

  private validator(pointer: string): ValidateFunction {
    let validate = this.compiled.get(pointer);
    if (!validate) {
      validate = this.ajv.getSchema(`${DOCUMENT_ID}#${pointer}`);
      if (!validate) throw new Error(`no schema at ${pointer} of the document`);
      this.compiled.set(pointer, validate);
    }
    return validate;
  }

  private schemaErrors(pointer: string, value: unknown): string[] {
    const validate = this.validator(pointer);
    if (validate(value)) return [];
    return describe(validate.errors ?? []);
  }

  /** The documented responses for this request, and how to name the place in messages. */
  private responsesFor(method: string, path: string, status: number): { where: string; pointer: string } {
    const fallback = (name: string, where: string) => ({ where, pointer: `/x-guichet-fallbacks/${name}/responses` });
    if (method === "options" && this.at(`/x-guichet-fallbacks/preflight/responses/${status}`)) {
      return fallback("preflight", `OPTIONS ${path} (CORS preflight)`);
    }
    const webFiles = this.at("/x-guichet-fallbacks/webFiles")?.value.prefixes as string[] | undefined;
    if ((method === "get" || method === "head") && webFiles?.some((prefix) => path.toLowerCase().startsWith(prefix))) {
      return fallback("webFiles", `${method.toUpperCase()} ${path} (a file of the chat page)`);
    }
    const match = this.templates.find((t) => t.pattern.test(path));
    if (!match) return fallback("unknownPath", `${method.toUpperCase()} ${path} (a path the document does not list)`);
    const item = `/paths/${escape(match.template)}`;
    if (!this.at(`${item}/${method}`)) {
      return fallback("unlistedMethod", `${method.toUpperCase()} ${match.template} (a method the path does not list)`);
    }
    return { where: `${method.toUpperCase()} ${match.template}`, pointer: `${item}/${method}/responses` };
  }

  /** What is wrong with one response; [] when it matches the document. */
  violations(record: RecordedResponse): string[] {
    const method = record.method.toLowerCase();
    const path = pathOf(record.url);
    const { where, pointer } = this.responsesFor(method, path, record.status);
    const label = `${where} → ${record.status}`;
    const response = this.at(`${pointer}/${record.status}`);
    if (!response) {
      const documented = Object.keys(this.at(pointer)?.value ?? {}).join(", ") || "none";
      return [`${label}: status ${record.status} is not documented (documented: ${documented})`];
    }
    const anyBody = response.value["x-guichet-any-body"] === true;
    const found = [...this.headerViolations(response, record), ...(anyBody ? [] : this.bodyViolations(response, record, method))];
    return found.map((what) => `${label}: ${what}`);
  }

  private headerViolations(response: Located, record: RecordedResponse): string[] {
    const found: string[] = [];
    for (const name of Object.keys((response.value.headers as Json | undefined) ?? {})) {
      const header = this.at(`${response.pointer}/headers/${escape(name)}`);
      if (!header) continue;
      const value = record.headers[name.toLowerCase()];
      if (value === undefined) {
        if (header.value.required === true) found.push(`header ${name} is missing`);
        continue;
      }
      if (header.value.schema) {
        for (const error of this.schemaErrors(`${header.pointer}/schema`, value)) found.push(`header ${name} ${JSON.stringify(value)}: ${error}`);
      }
    }
    return found;
  }

  private bodyViolations(response: Located, record: RecordedResponse, method: string): string[] {
    const body = record.body.toString("utf8");
    const content = response.value.content as Json | undefined;
    if (method === "head") return [];
    if (!content) return body === "" ? [] : [`a body (${record.body.length} bytes) where the document has none`];
    const type = (record.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    if (!(type in content)) return [`content type "${type}" is not documented (documented: ${Object.keys(content).join(", ")})`];
    const media = `${response.pointer}/content/${escape(type)}`;
    if (type === "text/event-stream") return this.eventViolations(media, body, record.complete);
    if (!record.complete && body === "") return [];
    if (JSON_TYPES.test(type)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return [`the body is not JSON: ${body.slice(0, 80)}`];
      }
      return this.schemaErrors(`${media}/schema`, parsed).map((error) => `body ${error}`);
    }
    return this.schemaErrors(`${media}/schema`, body).map((error) => `body ${error}`);
  }

  private eventViolations(media: string, body: string, complete: boolean): string[] {
    const found: string[] = [];
    const frames = body.split("\n\n");
    // What follows the last blank line is an event still being written (or nothing).
    const tail = frames.pop();
    if (complete && tail !== "") found.push(`the stream ends inside an event: ${JSON.stringify(tail!.slice(0, 80))}`);
    const names: string[] = [];
    frames.forEach((frame, i) => {
      const parsed = /^event: ([\w-]+)\ndata: (.*)$/.exec(frame);
      if (!parsed) return void found.push(`event ${i} is not "event: <name>\\ndata: <JSON>": ${JSON.stringify(frame.slice(0, 80))}`);
      const [, name, data] = parsed as unknown as [string, string, string];
      names.push(name);
      if (!this.at(`${media}/x-guichet-events/${escape(name)}`)) return void found.push(`event ${i} "${name}" is not a documented event`);
      let value: unknown;
      try {
        value = JSON.parse(data);
      } catch {
        return void found.push(`event ${i} "${name}": data is not JSON`);
      }
      for (const error of this.schemaErrors(`${media}/x-guichet-events/${escape(name)}`, value)) found.push(`event ${i} "${name}" ${error}`);
    });
    const last = (this.at(media)?.value["x-guichet-last-event"] as string[] | undefined) ?? [];
    if (complete && last.length > 0 && !last.includes(names.at(-1) ?? "")) {
      found.push(`the stream ended with ${names.length === 0 ? "no event" : `"${names.at(-1)}"`}, not with ${last.map((n) => `"${n}"`).join(" or ")}`);
    }
    return found;
  }
}

/** The path of a request target, as Express reads it: origin-form, or absolute-form (`POST http://host/invoke`). */
function pathOf(target: string): string {
  const origin = /^[a-z][a-z\d+.-]*:\/\/[^/?#]*/i.exec(target);
  return target.slice(origin ? origin[0].length : 0).split(/[?#]/)[0] || "/";
}

/** Ajv's errors as `at /pointer: what`, without the noise of the alternatives a oneOf tried. */
function describe(errors: ErrorObject[]): string[] {
  const keywords = new Set(["oneOf", "anyOf"]);
  const specific = errors.filter((e) => !keywords.has(e.keyword));
  const chosen = (specific.length > 0 ? specific : errors).slice(0, 6);
  return chosen.map((e) => {
    const where = e.instancePath === "" ? "/" : e.instancePath;
    const extra =
      e.keyword === "additionalProperties"
        ? ` (${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty)})`
        : e.keyword === "enum"
          ? ` (${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)})`
          : e.keyword === "const"
            ? ` (${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)})`
            : "";
    return `at ${where}: ${e.message ?? e.keyword}${extra}`;
  });
}

let defaultChecker: ContractChecker | undefined;

/** The checker of the document the code builds (server/openapi.ts), made on first use. */
export async function documentChecker(): Promise<ContractChecker> {
  if (!defaultChecker) {
    const { openApiDocument } = await import("../../server/openapi.js");
    defaultChecker = new ContractChecker(openApiDocument());
  }
  return defaultChecker;
}

/** One message for every response that does not match the document, or undefined when all do. */
export function contractReport(checker: ContractChecker, records: RecordedResponse[]): string | undefined {
  const lines = records.flatMap((record) => checker.violations(record).map((v) => (record.seenBy === "fetch" ? `${v} (seen by fetch)` : v)));
  if (lines.length === 0) return undefined;
  const unique = [...new Set(lines)];
  return [
    `${unique.length} response problem(s) against the OpenAPI document (server/openapi.ts, server/api-schemas.ts):`,
    ...unique.slice(0, 20).map((line) => `  - ${line}`),
    ...(unique.length > 20 ? [`  … and ${unique.length - 20} more`] : []),
    "Fix the response or the schema; after changing the schema, run `npm run openapi`.",
  ].join("\n");
}
