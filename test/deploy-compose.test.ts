import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import {
  checkApp,
  checkDependsOn,
  checkHealthchecks,
  checkImages,
  checkNetworks,
  checkPorts,
  checkSecretEnvironment,
  checkServicesPresent,
  checkStack,
  checkVolumes,
  parsePort,
  type StackPolicy,
} from "../tools/deploy/compose-checks.js";
import { bindSource, composeDefaults, missingFiles, templateProblems } from "../tools/deploy/compose-files.js";
import { schemaProblems } from "../tools/deploy/compose-schema.js";
import { environmentOf, type ComposeFile, type Service } from "../tools/deploy/compose-types.js";
import { parseEnvFile } from "../tools/deploy/env-file.js";
import { interpolate, interpolateDocument } from "../tools/deploy/interpolate.js";
import { locationFor, nginxTimeMs, parseNginx } from "../tools/deploy/nginx-conf.js";
import { checkProxy, type ProxyPolicy } from "../tools/deploy/proxy-checks.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const composeText = readFileSync(join(root, "docker-compose.yml"), "utf8");
const raw = parse(composeText) as ComposeFile;
const template = parseEnvFile(readFileSync(join(root, ".env.example"), "utf8"));
const interpolated = interpolateDocument(raw, template.values);
const compose = interpolated.doc;
const services = compose.services!;
const service = (name: string): Service => {
  const found = services[name];
  if (!found) throw new Error(`no service ${name} in docker-compose.yml`);
  return found;
};
const guichetEnv = environmentOf(service("guichet"));

const POLICY: StackPolicy = {
  services: ["proxy", "guichet", "redis", "postgres", "otel-collector", "jaeger", "prometheus", "grafana"],
  app: { name: "guichet", replicas: 2, user: "10001", stateDir: "/var/lib/guichet" },
  proxy: "proxy",
  uis: ["grafana", "jaeger", "prometheus"],
  stateVolumes: { postgres: "/var/lib/postgresql/data", prometheus: "/prometheus", grafana: "/var/lib/grafana" },
  internalOnly: ["redis", "postgres"],
  reachable: [
    ["proxy", "guichet"], ["guichet", "redis"], ["guichet", "postgres"], ["guichet", "otel-collector"],
    ["otel-collector", "jaeger"], ["prometheus", "guichet"], ["grafana", "prometheus"],
  ],
};

/** A copy of the interpolated stack to break. */
const broken = (mutate: (doc: ComposeFile & { services: Record<string, Service> }) => void): ComposeFile => {
  const copy = structuredClone(compose) as ComposeFile & { services: Record<string, Service> };
  mutate(copy);
  return copy;
};

const NGINX = process.env.NGINX ?? "nginx";
const nginxInstalled = (() => {
  try {
    execFileSync(NGINX, ["-v"], { stdio: "ignore" });
    return true;
  } catch {
    console.warn(`${NGINX} is not installed (Debian: apt-get install nginx): nginx -t is skipped; the parsed proxy checks still run`);
    return false;
  }
})();

/** A Compose (Go) duration such as 20s or 1m30s, in milliseconds. */
function composeDurationMs(value: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  return [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)].reduce((sum, [, n, unit]) => sum + Number(n) * units[unit!]!, 0);
}

describe("docker-compose.yml", () => {
  it("interpolates with the values of .env.example alone", () => {
    expect(template.errors).toEqual([]);
    expect(interpolated.errors).toEqual([]);
  });

  it("is valid against the Compose Specification schema", () => {
    expect(schemaProblems(compose)).toEqual([]);
  });

  it("names only files that exist, the build context and its Dockerfile included", () => {
    expect(service("guichet").build).toBe(".");
    expect(missingFiles(compose, root)).toEqual([]);
  });

  it("has every variable it uses listed, commented and with the same default in .env.example", () => {
    expect(interpolated.names.length).toBeGreaterThan(10);
    expect(templateProblems(interpolated.names, composeDefaults(composeText), template)).toEqual([]);
  });

  it("follows the stack's rules, and takes every secret from .env", () => {
    expect(checkStack(compose, POLICY)).toEqual([]);
    expect(checkSecretEnvironment(raw)).toEqual([]);
  });

  it("gives Guichet the shared Redis and PostgreSQL, for cache, conversations and feedback", () => {
    const redis = new URL(guichetEnv.GUICHET_REDIS_URL!);
    expect([redis.protocol, redis.hostname, redis.port || "6379"]).toEqual(["redis:", "redis", "6379"]);
    const database = new URL(guichetEnv.DATABASE_URL!);
    const postgresEnv = environmentOf(service("postgres"));
    expect(database.hostname).toBe("postgres");
    expect(database.pathname).toBe(`/${postgresEnv.POSTGRES_DB}`);
    expect(database.username).toBe(postgresEnv.POSTGRES_USER);
    expect(database.password).toBe(template.values.POSTGRES_PASSWORD);
    expect(database.password).toBe(postgresEnv.POSTGRES_PASSWORD);
    // GUICHET_FEEDBACK is not chosen by DATABASE_URL alone (docs/configuration.md).
    expect([guichetEnv.GUICHET_THREADS, guichetEnv.GUICHET_FEEDBACK]).toEqual(["postgres", "postgres"]);
    expect([guichetEnv.NODE_ENV, guichetEnv.HOST]).toEqual(["production", "0.0.0.0"]);
  });

  it("sends traces to the collector's OTLP/HTTP receiver, which the shared configuration defines", () => {
    const collector = parse(readFileSync(join(root, "deploy/observability/otel-collector/config.yaml"), "utf8")) as {
      receivers: { otlp: { protocols: { http: { endpoint: string } } } };
    };
    const port = collector.receivers.otlp.protocols.http.endpoint.split(":").pop();
    expect(guichetEnv.OTEL_EXPORTER_OTLP_ENDPOINT).toBe(`http://otel-collector:${port}`);
    const otel = service("otel-collector");
    const mounted = (otel.volumes as string[]).find((v) => v.startsWith("./deploy/observability/otel-collector/config.yaml:"));
    const target = mounted?.split(":")[1];
    expect(otel.command).toEqual([`--config=${target}`]);
    expect(otel.healthcheck?.test).toContain(`--config=${target}`);
  });

  it("lets in-flight requests finish before Docker stops a replica", () => {
    const grace = composeDurationMs(String(service("guichet").stop_grace_period));
    expect(grace).toBeGreaterThan(Number(guichetEnv.GUICHET_SHUTDOWN_TIMEOUT_MS));
  });

  it("mounts the shared Prometheus rules and Grafana provisioning rather than copies", () => {
    expect(service("prometheus").volumes).toEqual(expect.arrayContaining([
      "./deploy/compose/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro",
      "./deploy/observability/prometheus/rules:/etc/prometheus/rules:ro",
    ]));
    const provider = parse(readFileSync(join(root, "deploy/observability/grafana/provisioning/dashboards/guichet.yml"), "utf8")) as {
      providers: { options: { path: string } }[];
    };
    expect(service("grafana").volumes).toEqual(expect.arrayContaining([
      "./deploy/observability/grafana/provisioning:/etc/grafana/provisioning:ro",
      `./deploy/observability/grafana/dashboards:${provider.providers[0]!.options.path}:ro`,
    ]));
  });

  it("hands Prometheus the metrics token in the file its configuration reads, on a tmpfs", () => {
    const prometheus = service("prometheus");
    const promConfig = parse(readFileSync(join(root, "deploy/compose/prometheus/prometheus.yml"), "utf8")) as PromConfig;
    const tokenFile = promConfig.scrape_configs.find((job) => job.job_name === "guichet")!.authorization!.credentials_file!;
    const script = (prometheus.entrypoint as string[]).join(" ");
    expect(script).toContain(`> ${tokenFile}`);
    expect(script).toContain('exec /bin/prometheus "$@"');
    expect(prometheus.tmpfs).toContain(tokenFile.slice(0, tokenFile.lastIndexOf("/")));
    // One variable for both sides, so the token Guichet asks for is the one Prometheus sends.
    const rawEnv = (name: string) => environmentOf(raw.services![name]!).GUICHET_METRICS_TOKEN;
    expect(rawEnv("prometheus")).toBe(rawEnv("guichet"));
    expect(rawEnv("guichet")).toMatch(/^\$\{GUICHET_METRICS_TOKEN:\?/);
    // The server's own rule for the token (docs/configuration.md).
    expect(template.values.GUICHET_METRICS_TOKEN).toMatch(/^[!-~]{16,}$/);
  });
});

describe("the compose checks, on broken copies", () => {
  it("schema: names an unknown property, a bad duration and a wrong type", () => {
    expect(schemaProblems(broken((d) => { (d.services.guichet as Record<string, unknown>).replicas = 2; })))
      .toContain('/services/guichet: unknown property "replicas"');
    expect(schemaProblems(broken((d) => { d.services.redis!.healthcheck = { test: ["CMD", "true"], interval: "ten seconds" } as Service["healthcheck"]; })))
      .toContain('/services/redis/healthcheck/interval: must match format "duration"');
    expect(schemaProblems(parse("services:\n  web:\n    image: [nginx]\n"))).toContain("/services/web/image: must be string");
    expect(schemaProblems(parse("services: {}\nextra: true\n"))).toContain('/: unknown property "extra"');
    expect(schemaProblems(broken((d) => { d.services.proxy!.ports = ["80:80:80:80"]; })))
      .toContain('/services/proxy/ports/0: must match format "ports"');
  });

  it("files: names a missing bind source, build context, Dockerfile, env file, secret and config", () => {
    const missing = missingFiles(broken((d) => {
      d.services.proxy!.volumes = ["./deploy/compose/nginx/nowhere.conf:/etc/nginx/nginx.conf:ro", { type: "bind", source: "./absent-dir", target: "/x" }];
      d.services.guichet!.build = "./no-such-context";
      d.services.redis!.build = { context: ".", dockerfile: "Dockerfile.none" };
      d.services.redis!.env_file = ["local.env"];
      d.secrets = { token: { file: "./secrets/token" } };
      d.configs = { extra: { file: "./configs/extra.conf" } };
      d.services.jaeger!.extends = { file: "./base.yml", service: "x" };
    }), root);
    expect(missing).toEqual(expect.arrayContaining([
      "services.proxy.volumes[0]: ./deploy/compose/nginx/nowhere.conf does not exist",
      "services.proxy.volumes[1]: ./absent-dir does not exist",
      `services.guichet.build.context: ${join(root, "no-such-context")} does not exist`,
      `services.redis.build.dockerfile: ${join(root, "Dockerfile.none")} does not exist`,
      "services.redis.env_file: local.env does not exist",
      "secrets.token.file: ./secrets/token does not exist",
      "configs.extra.file: ./configs/extra.conf does not exist",
      "services.jaeger.extends.file: ./base.yml does not exist",
    ]));
  });

  it("files: lets .env be absent beside .env.example, and an env file marked not required", () => {
    const doc: ComposeFile = { services: { app: { image: "x:1", env_file: [".env", { path: "extra.env", required: false }] } } };
    const exists = (present: string[]) => (path: string) => present.includes(path);
    expect(missingFiles(doc, "/stack", exists(["/stack/.env.example"]))).toEqual([]);
    expect(missingFiles(doc, "/stack", exists([]))).toEqual(["services.app.env_file: .env does not exist"]);
    expect(missingFiles({ services: { app: { build: { context: "https://github.com/o/r.git" } } } }, "/stack", exists([]))).toEqual([]);
    expect(missingFiles({ services: { app: { build: { context: ".", dockerfile_inline: "FROM x" } } } }, "/stack", exists(["/stack"]))).toEqual([]);
    expect(bindSource("named:/data")).toBeUndefined();
    expect(bindSource("/anonymous")).toBeUndefined();
    expect(bindSource({ type: "volume", source: "named" })).toBeUndefined();
  });

  it(".env.example: names a missing, an undocumented, a drifting and an unused variable", () => {
    const text = "# documented\nA=1\n\nB=2\n# documented\nC=3\nC=4\nnot a line\n";
    const problems = templateProblems(["A", "B", "C", "D"], composeDefaults("${C:-5} ${A-1} $${B:-9} ${D:?x}"), parseEnvFile(text));
    expect(problems).toEqual([
      ".env.example line 7: C is set twice",
      ".env.example line 8: not a KEY=value line",
      "B has no comment in .env.example",
      'C defaults to "5" in the Compose file but is "4" in .env.example',
      "D is used by the Compose file but missing from .env.example",
    ]);
    expect(templateProblems([], {}, parseEnvFile("# x\nE=1\n"))).toEqual(["E is in .env.example but the Compose file does not use it"]);
  });

  it("healthchecks: names a service without one, or with it disabled", () => {
    expect(checkHealthchecks(broken((d) => { delete d.services.redis!.healthcheck; }))).toEqual(["services.redis has no healthcheck"]);
    expect(checkHealthchecks(broken((d) => { d.services.jaeger!.healthcheck = { disable: true }; }))).toEqual(["services.jaeger has no healthcheck"]);
    expect(checkHealthchecks(broken((d) => { d.services.proxy!.healthcheck = { test: ["NONE"] }; }))).toEqual(["services.proxy has no healthcheck"]);
  });

  it("the app: names each missing replica setting and hardening", () => {
    const problems = checkApp(broken((d) => {
      const app = d.services.guichet!;
      app.deploy = { replicas: 1 };
      app.container_name = "guichet";
      app.read_only = false;
      delete app.tmpfs;
      app.volumes = ["./data:/var/lib/guichet"];
      app.cap_drop = ["NET_RAW"];
      app.security_opt = ["seccomp:unconfined"];
      app.user = "0";
    }), POLICY);
    expect(problems).toEqual([
      "services.guichet.deploy.replicas must be 2",
      "services.guichet.container_name must not be set: replicas need names of their own",
      "services.guichet.read_only must be true (read-only root file system)",
      "services.guichet.tmpfs must include /tmp",
      "services.guichet must mount a named volume at /var/lib/guichet",
      "services.guichet.cap_drop must include ALL",
      "services.guichet.security_opt must include no-new-privileges:true",
      "services.guichet.user must be 10001",
    ]);
    // The long syntax counts too.
    expect(checkApp(broken((d) => {
      const app = d.services.guichet!;
      delete app.tmpfs;
      app.volumes = [{ type: "volume", source: "guichet-data", target: "/var/lib/guichet" }, { type: "tmpfs", target: "/tmp" }];
      app.user = "10001";
    }), POLICY)).toEqual([]);
    expect(checkServicesPresent(broken((d) => { delete d.services.jaeger; }), POLICY)).toEqual(["service jaeger is missing"]);
  });

  it("ports: names a backend that publishes, and a UI open beyond 127.0.0.1", () => {
    expect(checkPorts(broken((d) => { d.services.redis!.ports = ["6379:6379"]; }), POLICY))
      .toEqual(["services.redis publishes port 6379 to the host: only proxy and the UIs may"]);
    expect(checkPorts(broken((d) => { d.services.grafana!.ports = ["0.0.0.0:3001:3000"]; }), POLICY))
      .toEqual(["services.grafana publishes port 3000 on 0.0.0.0: UIs bind to 127.0.0.1 only"]);
    expect(checkPorts(broken((d) => { d.services.jaeger!.ports = ["16686"]; }), POLICY))
      .toEqual(["services.jaeger publishes port 16686 on every address: UIs bind to 127.0.0.1 only"]);
    expect(checkPorts(broken((d) => { d.services.guichet!.ports = [{ target: 3000, published: 3000 }]; }), POLICY))
      .toEqual(["services.guichet publishes port 3000 to the host: only proxy and the UIs may"]);
    expect(checkPorts(broken((d) => { d.services.prometheus!.ports = ["[::1]:9090:9090/tcp", { target: 9091, host_ip: "127.0.0.1" }]; }), POLICY)).toEqual([]);
    expect(parsePort("127.0.0.1:8080:80/udp")).toEqual({ hostIp: "127.0.0.1", published: "8080", target: "80" });
    expect(parsePort(3000)).toEqual({ hostIp: undefined, published: undefined, target: "3000" });
  });

  it("volumes: names an undeclared, an unused and a state path that is not a named volume", () => {
    expect(checkVolumes(broken((d) => {
      d.services.redis!.volumes = ["redis-data:/data"];
      d.volumes = { ...d.volumes, spare: {} };
      d.services.postgres!.volumes = ["/var/lib/postgresql/data"];
    }), POLICY)).toEqual([
      "services.redis mounts volume redis-data, which is not declared under volumes",
      "volume postgres-data is declared but no service mounts it",
      "volume spare is declared but no service mounts it",
      "services.postgres keeps its state in /var/lib/postgresql/data, which must be a named volume",
    ]);
  });

  it("images: names a latest tag, a missing tag and a service with nothing to run", () => {
    expect(checkImages(broken((d) => {
      d.services.redis!.image = "redis:latest";
      d.services.jaeger!.image = "registry.example:5000/jaegertracing/jaeger";
      delete d.services.grafana!.image;
      d.services.postgres!.image = "postgres@sha256:" + "0".repeat(64);
    }))).toEqual([
      "services.redis.image redis:latest uses latest: pin a version",
      "services.jaeger.image registry.example:5000/jaegertracing/jaeger has no tag: pin a version",
      "services.grafana has neither image nor build",
    ]);
  });

  it("depends_on and networks: name an unknown service, an undeclared network, an exposed backend, a missing link", () => {
    expect(checkDependsOn(broken((d) => { d.services.proxy!.depends_on = ["guichet", "cache"]; })))
      .toEqual(["services.proxy depends on cache, which is not a service"]);
    expect(checkNetworks(broken((d) => {
      d.services.postgres!.networks = ["data", "edge"];
      d.services.proxy!.networks = { outside: {} };
    }), POLICY)).toEqual([
      "services.proxy joins network outside, which is not declared",
      "services.postgres must sit on internal networks only, not on edge",
      "services.proxy and services.guichet share no network, so they cannot reach each other",
    ]);
    expect(checkNetworks(broken((d) => { delete d.services.redis!.networks; }), POLICY)).toEqual([
      "services.redis must sit on internal networks only, not on default",
      "services.guichet and services.redis share no network, so they cannot reach each other",
    ]);
  });

  it("secrets: names a password written in the file, as a literal or as a default", () => {
    const message = (svc: string, key: string) => `services.${svc}.environment.${key} must be a \${VAR} reference to .env, not a value in the Compose file`;
    const rawCopy = structuredClone(raw);
    rawCopy.services!.postgres!.environment = { POSTGRES_PASSWORD: "hunter2-hunter2" };
    rawCopy.services!.grafana!.environment = ["GF_SECURITY_ADMIN_PASSWORD=${GRAFANA_ADMIN_PASSWORD:-admin}", "GF_USERS_ALLOW_SIGN_UP=false"];
    rawCopy.services!.guichet!.environment = { GUICHET_JWT_SECRET: "${GUICHET_JWT_SECRET:-}", OPENAI_API_KEY: "change-me" };
    expect(checkSecretEnvironment(rawCopy)).toEqual([
      message("guichet", "OPENAI_API_KEY"),
      message("postgres", "POSTGRES_PASSWORD"),
      message("grafana", "GF_SECURITY_ADMIN_PASSWORD"),
    ]);
  });
});

describe("Compose interpolation", () => {
  const env = { A: "a", EMPTY: "" };

  it("expands the forms Compose knows", () => {
    expect(interpolate("$A-${A}-${MISSING:-d}-${EMPTY:-d}-${EMPTY-d}-${MISSING-d}", env).value).toBe("a-a-d-d--d");
    expect(interpolate("${A:+x}${EMPTY:+y}${EMPTY+z}${MISSING+w}", env).value).toBe("xz");
    expect(interpolate("$$A $${A} $ 5$", env).value).toBe("$A ${A} $ 5$");
    expect(interpolate("${MISSING:-${A:-b}}/${MISSING:-${NONE:-c}}", env)).toEqual({ value: "a/c", names: ["MISSING", "A", "NONE"], errors: [] });
  });

  it("reports required variables, unclosed braces, bad names and modifiers", () => {
    expect(interpolate("${EMPTY:?give it}${EMPTY?fine}${MISSING?}", env).errors).toEqual(["EMPTY: give it", "MISSING: required"]);
    expect(interpolate("x${A", env)).toEqual({ value: "x${A", names: [], errors: ['unclosed "${" in "x${A"'] });
    expect(interpolate("${1A}", env).errors).toEqual(['"${1A}" does not start with a variable name']);
    expect(interpolate("${A/x}", env)).toEqual({ value: "a", names: ["A"], errors: ['"${A/x}" has an unknown modifier "/x"'] });
  });

  it("interpolates the values of a document, not its keys, and says where an error is", () => {
    const result = interpolateDocument({ "${A}": ["${A}", 3, null, { b: "${MISSING:?set it}" }] }, env);
    expect(result.doc).toEqual({ "${A}": ["a", 3, null, { b: "" }] });
    expect(result.errors).toEqual(["${A}[3].b: MISSING: set it"]);
  });
});

describe("dotenv reader", () => {
  it("reads quotes, export, inline comments, and which entries are commented", () => {
    const file = parseEnvFile('# about A\nexport A="x y" # c\nB=\'$raw\'\n\nC=plain # note\nD="a\\"b\\nc"\r\n');
    expect(file.values).toEqual({ A: "x y", B: "$raw", C: "plain", D: 'a"b\nc' });
    expect(file.entries.map((e) => [e.name, e.line, e.documented])).toEqual([["A", 2, true], ["B", 3, true], ["C", 5, false], ["D", 6, false]]);
    expect(file.errors).toEqual([]);
  });
});

interface PromConfig {
  global: Record<string, unknown>;
  rule_files: string[];
  scrape_configs: {
    job_name: string;
    metrics_path?: string;
    scheme?: string;
    authorization?: { type?: string; credentials_file?: string };
    dns_sd_configs?: { names: string[]; type: string; port: number }[];
  }[];
}

describe("reverse proxy (deploy/compose/nginx/nginx.conf)", () => {
  const confFile = join(root, "deploy/compose/nginx/nginx.conf");
  const confText = readFileSync(confFile, "utf8");
  const proxy = service("proxy");
  const healthUrl = new URL((proxy.healthcheck!.test as string[]).find((arg) => arg.startsWith("http"))!);
  const policy: ProxyPolicy = {
    listenPort: Number(parsePort(proxy.ports![0]!).target),
    upstream: `http://guichet:${guichetEnv.PORT}`,
    requestTimeoutMs: Number(guichetEnv.GUICHET_REQUEST_TIMEOUT_MS),
    streamPath: "/stream",
    proxiedPaths: ["/", "/invoke", "/threads/abc", "/feedback", "/health", "/ui/app.js"],
    blockedPaths: ["/metrics"],
    healthPath: healthUrl.pathname,
  };
  const problemsOf = (text: string) => checkProxy(parseNginx(text), policy);

  it("is mounted where nginx reads its main configuration", () => {
    expect(proxy.volumes).toContain("./deploy/compose/nginx/nginx.conf:/etc/nginx/nginx.conf:ro");
    expect(Number(healthUrl.port)).toBe(policy.listenPort);
  });

  it("streams /stream unbuffered, waits longer than Guichet's deadline, keeps /metrics in", () => {
    expect(policy.requestTimeoutMs).toBeGreaterThan(0);
    expect(problemsOf(confText)).toEqual([]);
  });

  it("names each broken setting", () => {
    expect(problemsOf(confText.replace("proxy_buffering off;", "proxy_buffering on;")))
      .toEqual(["/stream: proxy_buffering must be off, or Server-Sent Events arrive in bursts"]);
    expect(problemsOf(confText.replace(/proxy_read_timeout 60s;/, "proxy_read_timeout 10s;")))
      .toEqual([`/stream: proxy_read_timeout 10s is not longer than the request timeout (${policy.requestTimeoutMs} ms)`]);
    expect(problemsOf(confText.replace("proxy_send_timeout 30s;", "proxy_send_timeout 15;")))
      .toContain(`/: proxy_send_timeout 15 is not longer than the request timeout (${policy.requestTimeoutMs} ms)`);
    expect(problemsOf(confText.replace(/\n\s*resolver .*;/, ""))).toContain("/stream: proxy_pass uses a variable but no resolver is set");
    expect(problemsOf(confText.replace("http://guichet:3000", "http://guichet:4000"))).toContain("/stream is proxied to http://guichet:4000, not to http://guichet:3000");
    expect(problemsOf(confText.replace(/location = \/metrics \{[^}]*\}/, ""))).toEqual(["/metrics must not be passed on to the app"]);
    expect(problemsOf(confText.replace('return 200 "ok\\n";', "proxy_pass $guichet;"))).toEqual(["/proxy-health must be answered 200 by the proxy itself"]);
    expect(problemsOf(confText.replace("listen 8080;", "listen 80;"))).toEqual(["no server listens on port 8080"]);
    expect(problemsOf(confText.replace(/location \/ \{[^}]*\}/, ""))).toContain("no location serves /invoke");
    expect(problemsOf(confText.replace(/(location \/ \{)[^}]*\}/, "$1 return 404; }"))).toContain("/invoke is not proxied (its location has no proxy_pass)");
    expect(problemsOf("events {}\n")).toEqual(["no http block"]);
  });

  it("reads nginx syntax: comments, quotes, blocks, times and location matching", () => {
    const conf = parseNginx('# c\nhttp { server { listen [::]:8080; location = /a { return 200 "x;{}"; } location ^~ /b { } location /b/c { } } }');
    const server = conf[0]!.block![0]!.block!;
    expect(server[1]!.block![0]!.args).toEqual(["200", "x;{}"]);
    expect(locationFor(server, "/a")?.args).toEqual(["=", "/a"]);
    expect(locationFor(server, "/b/c/d")?.args).toEqual(["/b/c"]);
    expect(locationFor(server, "/b/x")?.args).toEqual(["^~", "/b"]);
    expect(locationFor(server, "/z")).toBeUndefined();
    expect([nginxTimeMs("90"), nginxTimeMs("500ms"), nginxTimeMs("1m30s"), nginxTimeMs("1h")]).toEqual([90_000, 500, 90_000, 3_600_000]);
    expect(() => nginxTimeMs("soon")).toThrow('"soon" is not an nginx time');
    expect(() => parseNginx("http {\n  listen 80\n}")).toThrow('line 2: "listen" lacks its ";"');
    expect(() => parseNginx("http {\n  server {\n}")).toThrow("line 1: block not closed");
    expect(() => parseNginx("a b;\n}")).toThrow('line 2: unexpected "}"');
    expect(() => parseNginx("a 'b;")).toThrow("line 1: unclosed quote");
    expect(() => parseNginx(";")).toThrow('line 1: ";" without a directive');
    expect(() => parseNginx("pid x")).toThrow('line 1: "pid" lacks its ";"');
  });

  describe("nginx -t", () => {
    let tmp: string;
    beforeAll(() => {
      tmp = mkdtempSync(join(tmpdir(), "guichet-nginx-"));
    });
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));

    /**
     * nginx -t on a copy whose writable paths are moved into the test's own folder, and whose logs go to files:
     * Node gives a child sockets for its standard streams, which /dev/stderr cannot open.
     */
    const nginxTest = (text: string): { ok: boolean; output: string } => {
      const file = join(tmp, "nginx.conf");
      const copy = text.replaceAll("/tmp/", `${tmp}/`).replaceAll("/dev/stderr", join(tmp, "error.log")).replaceAll("/dev/stdout", join(tmp, "access.log"));
      expect(copy).not.toMatch(/\/tmp\/nginx|\/dev\//);
      writeFileSync(file, copy);
      try {
        const output = execFileSync(NGINX, ["-t", "-q", "-e", "stderr", "-p", tmp, "-c", file], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        return { ok: true, output };
      } catch (error) {
        return { ok: false, output: String((error as { stderr?: string }).stderr) };
      }
    };

    (nginxInstalled ? it : it.skip)("accepts the configuration, and refuses a broken copy", () => {
      expect(nginxTest(confText)).toEqual({ ok: true, output: "" });
      const bad = nginxTest(confText.replace("proxy_buffering off;", "proxy_buffering sometimes;"));
      expect(bad.ok).toBe(false);
      expect(bad.output).toContain("proxy_buffering");
    });
  });
});

describe("Prometheus configuration for Compose (deploy/compose/prometheus/prometheus.yml)", () => {
  const PROMTOOL = process.env.PROMTOOL ?? "promtool";
  const file = join(root, "deploy/compose/prometheus/prometheus.yml");
  const text = readFileSync(file, "utf8");
  const config = parse(text) as PromConfig;
  const shared = parse(readFileSync(join(root, "deploy/observability/prometheus/prometheus.yml"), "utf8")) as PromConfig;
  const job = (c: PromConfig) => c.scrape_configs.find((j) => j.job_name === "guichet")!;
  let tmp: string;

  beforeAll(() => {
    try {
      execFileSync(PROMTOOL, ["--version"], { stdio: "ignore" });
    } catch {
      throw new Error(`${PROMTOOL} is not installed: install Debian's prometheus package, as .ci/run does, or set PROMTOOL`);
    }
    tmp = mkdtempSync(join(tmpdir(), "guichet-compose-prometheus-"));
    writeFileSync(join(tmp, "token"), "test-token-of-sixteen");
    symlinkSync(join(root, "deploy/observability/prometheus/rules"), join(tmp, "rules"));
  });
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** promtool check config on a copy beside the shared rules, with the token file moved to a temporary one. */
  const check = (configText: string): string => {
    const copy = join(tmp, "prometheus.yml");
    writeFileSync(copy, configText.replace(job(config).authorization!.credentials_file!, join(tmp, "token")));
    try {
      return execFileSync(PROMTOOL, ["check", "config", copy], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`promtool refused the configuration:\n${stdout ?? ""}${stderr ?? ""}`, { cause: error });
    }
  };

  it("differs from the shared configuration only in how it finds the replicas", () => {
    expect(config.global).toEqual(shared.global);
    expect(config.rule_files).toEqual(shared.rule_files);
    const scrape = (c: PromConfig) => {
      const copy: Record<string, unknown> = { ...job(c) };
      for (const discovery of ["static_configs", "dns_sd_configs", "relabel_configs"]) delete copy[discovery];
      return copy;
    };
    expect(scrape(config)).toEqual(scrape(shared));
    const discovery = job(config).dns_sd_configs;
    // Each replica of the compose service is a target of its own, on the port Guichet listens on.
    expect(discovery).toEqual([expect.objectContaining({ names: ["guichet"], type: "A", port: Number(guichetEnv.PORT) })]);
    expect(service("guichet").deploy?.replicas).toBe(2);
  });

  it("passes promtool check config, rules included", () => {
    const out = check(text);
    expect(out).toContain("SUCCESS: 1 rule files found");
  });

  it("is refused by promtool when broken", () => {
    expect(() => check(text.replace(/\n\s*port: 3000/, ""))).toThrow(/port/i);
  });
});
