import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments } from "yaml";
import { ROUTES } from "../server/http-route.js";
import { loadConfig } from "../tools/config.js";
import { registry } from "../tools/telemetry/metrics.js";
import { overlayProblems, policyProblems } from "../tools/deploy/k8s-checks.js";
import { imageProblem } from "../tools/deploy/k8s-pod-checks.js";
import {
  MANIFEST_FILE,
  RULES_FILE,
  prometheusRuleManifest,
  ruleDrift,
  ruleGroups,
  writePrometheusRule,
  type RuleGroup,
} from "../tools/deploy/k8s-prometheus-rule.js";
import { quantity } from "../tools/deploy/k8s-quantity.js";
import {
  MIN_KUSTOMIZE_MAJOR,
  kubectlVersion,
  kustomizeMajor,
  renderKustomization,
  type K8sObject,
} from "../tools/deploy/k8s-render.js";
import { modelPath, schemaProblems, validateAll } from "../tools/deploy/k8s-schema.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const k8sDir = join(root, "deploy", "k8s");
const overlay = (name: string) => join(k8sDir, "overlays", name);
const rulesYaml = readFileSync(join(root, RULES_FILE), "utf8");

const kubectl = kubectlVersion();
if (!kubectl) console.warn("deploy-k8s: rendering tests skipped: kubectl not found (PATH or KUBECTL); .ci/run installs it");
const describeRendered = kubectl ? describe : describe.skip;

const yamllintFound = spawnSync("yamllint", ["--version"]).status === 0;
if (!yamllintFound) console.warn("deploy-k8s: the yamllint check is skipped: yamllint not found (apt-get install yamllint)");

/** Every object of the resources a kustomization lists, parsed without kustomize. */
function readObjects(dir: string): K8sObject[] {
  const { resources } = parse(readFileSync(join(dir, "kustomization.yaml"), "utf8")) as { resources: string[] };
  return resources.flatMap((file) => parseAllDocuments(readFileSync(join(dir, file), "utf8")).map((doc) => doc.toJS() as K8sObject));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rendered YAML, reshaped at will by the broken-input cases
type Loose = any;

function find(objects: K8sObject[], kind: string, name?: string): K8sObject & { spec: Loose } {
  const object = objects.find((o) => o.kind === kind && (!name || o.metadata.name === name));
  if (!object) throw new Error(`no ${kind}${name ? `/${name}` : ""} in the rendered objects`);
  return object as K8sObject & { spec: Loose };
}
const podSpec = (objects: K8sObject[]) => find(objects, "Deployment").spec.template.spec;
const container = (objects: K8sObject[]) => podSpec(objects).containers[0];

/** The HPA's custom metric and the name prometheus-adapter serves it under, with the series it reads. */
function adapterRule() {
  const values = parse(readFileSync(join(k8sDir, "prometheus-adapter", "values.yaml"), "utf8")) as {
    rules: { custom: Array<{ seriesQuery: string; name: { matches: string; as: string }; metricsQuery: string }> };
  };
  return values.rules.custom[0]!;
}

/** A throw-away environment with the Secret's keys, never real values: what the pod would start with. */
function fakeSecrets(): Record<string, string> {
  const digest = createHash("sha256").update(randomBytes(16)).digest("hex");
  return {
    DATABASE_URL: "postgres://guichet@postgres.invalid:5432/guichet",
    GUICHET_API_KEYS: JSON.stringify([{ name: "portail", sha256: digest }]),
    GUICHET_METRICS_TOKEN: randomBytes(16).toString("hex"),
  };
}

describe("PrometheusRule generated from the Prometheus rules file", () => {
  it("the committed manifest is the one the rules file gives", () => {
    expect(readFileSync(join(root, MANIFEST_FILE), "utf8")).toBe(prometheusRuleManifest(rulesYaml));
    const committed = parse(readFileSync(join(root, MANIFEST_FILE), "utf8")) as { spec: { groups: RuleGroup[] } };
    expect(ruleDrift(ruleGroups(rulesYaml), committed.spec.groups)).toEqual([]);
  });

  it("names the rule that drifted, the group that went missing and changed group settings", () => {
    const groups = ruleGroups(rulesYaml);
    const last = groups.length - 1;
    const first = groups[last]!.rules[0]!;
    const changed = structuredClone(groups);
    changed[last]!.rules[0]!.expr = "vector(1)";
    expect(ruleDrift(groups, changed)).toEqual([`PrometheusRule group ${groups[last]!.name}: rule 1 (${first.alert ?? first.record}) differs from the rules file (got ${first.alert ?? first.record})`]);
    expect(ruleDrift(groups, changed.slice(0, last)).join("\n")).toMatch(/PrometheusRule groups \[.*\], rules file \[.*\]/);
    const interval = structuredClone(groups);
    interval[0]!.interval = "1m";
    expect(ruleDrift(groups, interval)).toEqual([`PrometheusRule group ${groups[0]!.name}: group settings differ from the rules file`]);
    const extra = structuredClone(groups);
    extra[last]!.rules.push({ alert: "Extra", expr: "vector(1)" });
    expect(ruleDrift(groups, extra)).toEqual([expect.stringMatching(new RegExp(`rule ${groups[last]!.rules.length + 1} \\(\\?\\) differs .*got Extra`))]);
    expect(ruleDrift(groups, undefined)).toEqual(["PrometheusRule: spec.groups missing"]);
    expect(() => ruleGroups("groups: []")).toThrow(/no groups/);
  });

  it("writes the manifest, leaves an up-to-date one alone and reports a stale one in check mode", () => {
    const tmp = mkdtempSync(join(tmpdir(), "guichet-k8s-rules-"));
    try {
      mkdirSync(join(tmp, "deploy", "observability", "prometheus", "rules"), { recursive: true });
      mkdirSync(join(tmp, "deploy", "k8s", "base"), { recursive: true });
      writeFileSync(join(tmp, RULES_FILE), rulesYaml);
      expect(writePrometheusRule(tmp, { check: true })).toBe("differs");
      expect(writePrometheusRule(tmp)).toBe("written");
      expect(writePrometheusRule(tmp, { check: true })).toBe("unchanged");
      writeFileSync(join(tmp, RULES_FILE), rulesYaml.replace("> 0.05", "> 0.10"));
      expect(writePrometheusRule(tmp, { check: true })).toBe("differs");
      expect(writePrometheusRule(tmp)).toBe("written");
      expect(readFileSync(join(tmp, MANIFEST_FILE), "utf8")).toContain("> 0.10");
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("the command's --check passes on the repository", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "tools/deploy/k8s-write-rules.ts", "--check"], { cwd: root, encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("matches");
  });
});

describe("the request-rate metric of the HPA", () => {
  it("is what the prometheus-adapter rule serves, computed from a real metric of /metrics on the question routes", async () => {
    const rule = adapterRule();
    const hpa = find(readObjects(join(k8sDir, "base")), "HorizontalPodAutoscaler");
    const podsMetric = hpa.spec.metrics.find((m: { type: string }) => m.type === "Pods");
    expect(podsMetric.pods.metric.name).toBe(rule.name.as);
    const series = /^(\w+)\{/.exec(rule.seriesQuery)![1]!;
    expect(new RegExp(rule.name.matches).test(series)).toBe(true);
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toContain(series.replace(/_count$/, ""));
    const routes = /route=~"([^"]+)"/.exec(rule.metricsQuery)![1]!.split("|");
    expect(routes).toEqual(["/invoke", "/stream"]);
    for (const route of routes) expect(ROUTES[route]).toEqual(["POST"]);
  });
});

describe("helpers", () => {
  it("reads quantities", () => {
    expect(quantity("500m")).toBe(0.5);
    expect(quantity("2")).toBe(2);
    expect(quantity("640Mi")).toBe(640 * 2 ** 20);
    expect(quantity("1Gi")).toBe(2 ** 30);
    expect(quantity("1G")).toBe(1e9);
    expect(quantity(3)).toBe(3);
    expect(quantity("1 GB")).toBeNaN();
    expect(quantity(undefined)).toBeNaN();
  });

  it("tells a pinned image from a moving one", () => {
    expect(imageProblem("ghcr.io/example/guichet:0.1.0")).toBeUndefined();
    expect(imageProblem("registry.example.org:5000/guichet@sha256:" + "a".repeat(64))).toBeUndefined();
    expect(imageProblem("ghcr.io/example/guichet:latest")).toMatch(/uses the tag latest/);
    expect(imageProblem("registry.example.org:5000/guichet")).toMatch(/no tag nor digest/);
    expect(imageProblem(undefined)).toMatch(/no image/);
  });

  it("maps apiVersion and kind to a model, and refuses names that are not", () => {
    expect(modelPath("v1", "Service")).toBe("kubernetes-models/v1/Service");
    expect(modelPath("apps/v1", "Deployment")).toBe("kubernetes-models/apps/v1/Deployment");
    expect(modelPath("monitoring.coreos.com/v1", "ServiceMonitor")).toBe("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor");
    expect(modelPath("apps/v1", "../../x")).toBeUndefined();
    expect(modelPath("../x/v1", "Deployment")).toBeUndefined();
    expect(modelPath("apps/latest", "Deployment")).toBeUndefined();
    expect(kustomizeMajor("v5.5.0")).toBe(5);
    expect(kustomizeMajor("unknown")).toBeNaN();
  });
});

describe("the base's files against the Kubernetes schemas (no kustomize needed)", () => {
  it("every object is valid for its model", async () => {
    const objects = readObjects(join(k8sDir, "base"));
    expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(["Deployment", "HorizontalPodAutoscaler", "ServiceMonitor", "PrometheusRule"]));
    expect(await validateAll(objects)).toEqual([]);
  });

  it("no file of deploy/k8s holds a Secret", () => {
    const yamlFiles = readdirSync(k8sDir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".yaml")).map((f) => join(k8sDir, f));
    expect(yamlFiles.length).toBeGreaterThan(10);
    for (const file of yamlFiles) {
      for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) expect((doc.toJS() as K8sObject | null)?.kind).not.toBe("Secret");
    }
  });
});

const describeYamllint = yamllintFound ? describe : describe.skip;
describeYamllint("yamllint", () => {
  const config = "{extends: default, rules: {line-length: {max: 120}, document-start: disable, indentation: {indent-sequences: consistent}}}";
  const lint = (path: string) => spawnSync("yamllint", ["-f", "parsable", "-d", config, path], { encoding: "utf8" });

  it("finds nothing wrong in deploy/k8s", () => {
    const run = lint(k8sDir);
    expect(run.stdout).toBe("");
    expect(run.status).toBe(0);
  });

  it("fails on a duplicated key", () => {
    const tmp = mkdtempSync(join(tmpdir(), "guichet-k8s-lint-"));
    try {
      writeFileSync(join(tmp, "bad.yaml"), "apiVersion: v1\nkind: Service\nkind: Pod\n");
      const run = lint(tmp);
      expect(run.status).not.toBe(0);
      expect(run.stdout).toMatch(/duplication of key "kind"/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describeRendered("both overlays rendered by kubectl kustomize", () => {
  let staging: K8sObject[];
  let production: K8sObject[];

  beforeAll(() => {
    const renderedStaging = renderKustomization(overlay("staging"));
    const renderedProduction = renderKustomization(overlay("production"));
    expect(renderedStaging.warnings).toEqual([]);
    expect(renderedProduction.warnings).toEqual([]);
    staging = renderedStaging.objects;
    production = renderedProduction.objects;
  });

  it(`uses kustomize v${MIN_KUSTOMIZE_MAJOR} or later`, () => {
    expect(kustomizeMajor(kubectl!.kustomize)).toBeGreaterThanOrEqual(MIN_KUSTOMIZE_MAJOR);
  });

  it("every rendered object is valid against the schema of its apiVersion and kind", async () => {
    expect(staging.length).toBeGreaterThanOrEqual(13);
    expect(await validateAll(staging)).toEqual([]);
    expect(await validateAll(production)).toEqual([]);
  });

  it("every policy check passes in each environment", () => {
    expect(policyProblems(staging, "staging")).toEqual([]);
    expect(policyProblems(production, "production")).toEqual([]);
  });

  it("staging and production differ as the issue asks", () => {
    expect(overlayProblems(staging, production)).toEqual([]);
    expect(find(staging, "Deployment").spec.replicas).toBe(1);
    expect(find(production, "Deployment").spec.replicas).toBe(3);
    expect(find(staging, "Deployment").metadata.namespace).toBe("guichet-staging");
    expect(find(production, "Deployment").metadata.namespace).toBe("guichet-production");
  });

  it("the rendered PrometheusRule carries the rules file's groups", () => {
    expect(ruleDrift(ruleGroups(rulesYaml), find(staging, "PrometheusRule").spec.groups)).toEqual([]);
    expect(ruleDrift(ruleGroups(rulesYaml), find(production, "PrometheusRule").spec.groups)).toEqual([]);
  });

  it("the ConfigMap of each environment, with the Secret's keys, is a configuration the server accepts", () => {
    for (const objects of [staging, production]) {
      const data = find(objects, "ConfigMap").data as Record<string, string>;
      expect(Object.keys(data)).toEqual(expect.arrayContaining(["GUICHET_REDIS_URL", "GUICHET_THREADS", "GUICHET_FEEDBACK", "OTEL_EXPORTER_OTLP_ENDPOINT"]));
      const config = loadConfig({ ...data, ...fakeSecrets() });
      expect(config.threads.backend).toBe("postgres");
      expect(config.feedback.backend).toBe("postgres");
      expect(config.cache.backend).toBe("redis");
      expect(config.auth.enabled).toBe(true);
      expect(config.port).toBe(3000);
      expect(config.host).toBe("0.0.0.0");
      expect(new URL(data.GUICHET_REDIS_URL!).password).toBe("");
    }
  });

  it("the pod takes every credential from the Secret guichet-secrets", () => {
    const c = container(production);
    const fromSecret = c.env.filter((e: { valueFrom?: { secretKeyRef?: { name: string } } }) => e.valueFrom?.secretKeyRef?.name === "guichet-secrets");
    expect(fromSecret.map((e: { name: string }) => e.name).sort()).toEqual(["DATABASE_URL", "GUICHET_API_KEYS", "GUICHET_METRICS_TOKEN", "OPENAI_API_KEY"]);
    expect(c.envFrom).toEqual([{ configMapRef: { name: find(production, "ConfigMap").metadata.name } }, { secretRef: { name: "guichet-secrets" } }]);
    const monitor = find(production, "ServiceMonitor");
    expect(monitor.spec.endpoints[0].authorization.credentials).toEqual({ name: "guichet-secrets", key: "GUICHET_METRICS_TOKEN" });
  });

  describe("each check fails on a broken input and names the problem", () => {
    type Mutation = [string, (objects: K8sObject[]) => void, RegExp];
    const policyCases: Mutation[] = [
      ["readOnlyRootFilesystem dropped", (o) => delete container(o).securityContext.readOnlyRootFilesystem, /Deployment\/guichet container guichet: securityContext: readOnlyRootFilesystem is not true/],
      ["allowPrivilegeEscalation true", (o) => (container(o).securityContext.allowPrivilegeEscalation = true), /allowPrivilegeEscalation is not false/],
      ["capabilities kept", (o) => delete container(o).securityContext.capabilities, /capabilities do not drop ALL/],
      ["a capability added", (o) => (container(o).securityContext.capabilities.add = ["NET_ADMIN"]), /capabilities add NET_ADMIN/],
      ["root user", (o) => (container(o).securityContext.runAsUser = 0), /runAsUser is 0, not 10001/],
      ["another group", (o) => (container(o).securityContext.runAsGroup = 1000), /runAsGroup is 1000, not 10001/],
      ["runAsNonRoot false", (o) => (container(o).securityContext.runAsNonRoot = false), /container guichet: securityContext: runAsNonRoot is not true/],
      ["pod runAsNonRoot dropped", (o) => delete podSpec(o).securityContext.runAsNonRoot, /pod securityContext: runAsNonRoot is not true/],
      ["seccomp unconfined", (o) => (container(o).securityContext.seccompProfile = { type: "Unconfined" }), /seccompProfile is not RuntimeDefault/],
      ["privileged", (o) => (container(o).securityContext.privileged = true), /privileged is true/],
      ["host network", (o) => (podSpec(o).hostNetwork = true), /hostNetwork is true/],
      ["image :latest", (o) => (container(o).image = "ghcr.io/example/guichet:latest"), /image ghcr\.io\/example\/guichet:latest uses the tag latest/],
      ["image without tag", (o) => (container(o).image = "ghcr.io/example/guichet"), /no tag nor digest/],
      ["no readiness probe", (o) => delete container(o).readinessProbe, /readinessProbe missing/],
      ["no startup probe", (o) => delete container(o).startupProbe, /startupProbe missing/],
      ["liveness on another path", (o) => (container(o).livenessProbe.httpGet.path = "/healthz"), /livenessProbe checks \/healthz, not \/health/],
      ["readiness on /health", (o) => (container(o).readinessProbe.httpGet.path = "/health"), /readinessProbe checks \/health, not \/ready/],
      ["probe on an undeclared port", (o) => (container(o).livenessProbe.httpGet.port = "web"), /livenessProbe port web is not a port of the container/],
      ["no limits", (o) => delete container(o).resources.limits, /resources\.limits\.cpu missing.*\n.*resources\.limits\.memory missing/],
      ["no requests", (o) => delete container(o).resources.requests, /resources\.requests\.memory missing/],
      ["request above limit", (o) => (container(o).resources.requests.cpu = "3"), /resources\.requests\.cpu is above its limit/],
      ["memory limit under the heap cap", (o) => (container(o).resources.limits.memory = "512Mi"), /limits\.memory 512Mi is not above the 768 MiB old-space cap/],
      ["/tmp not mounted", (o) => (container(o).volumeMounts = container(o).volumeMounts.filter((m: { mountPath: string }) => m.mountPath !== "/tmp")), /nothing mounted at \/tmp/],
      ["/var/lib/guichet on a hostPath", (o) => (podSpec(o).volumes[1] = { name: "state", hostPath: { path: "/srv" } }), /\/var\/lib\/guichet is not an emptyDir volume/],
      ["a credential as a literal env value", (o) => container(o).env.push({ name: "GUICHET_JWT_SECRET", value: "x" }), /env GUICHET_JWT_SECRET is not taken from a Secret/],
      ["a Secret with data", (o) => o.push({ apiVersion: "v1", kind: "Secret", metadata: { name: "guichet-secrets", namespace: "guichet-production", labels: {} }, data: { DATABASE_URL: "cG9zdGdyZXM=" } }), /Secret\/guichet-secrets: a Secret with data\/stringData \(DATABASE_URL\)/],
      ["a Secret with stringData", (o) => o.push({ apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "guichet-production" }, stringData: { OPENAI_API_KEY: "x" } }), /Secret\/s: a Secret with data\/stringData \(OPENAI_API_KEY\)/],
      ["an empty Secret", (o) => o.push({ apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "guichet-production" } }), /Secret\/s: a Secret object in the repository/],
      ["a credential in the ConfigMap", (o) => (find(o, "ConfigMap").data = { ...(find(o, "ConfigMap").data as object), OPENAI_API_KEY: "x" }), /ConfigMap\/guichet-config-\w+: OPENAI_API_KEY is a credential/],
      ["a Redis password in the ConfigMap", (o) => ((find(o, "ConfigMap").data as Record<string, string>).GUICHET_REDIS_URL = "redis://default:pw@redis.invalid:6379"), /GUICHET_REDIS_URL holds a URL with a password/],
      ["replicas \"two\"", (o) => (find(o, "Deployment").spec.replicas = "two"), /Deployment\/guichet: replicas "two" is not a whole number/],
      ["replicas above the HPA's maximum", (o) => (find(o, "Deployment").spec.replicas = 20), /the Deployment's 20 replicas are outside \[3, 12\]/],
      ["HPA without its Pods metric", (o) => (find(o, "HorizontalPodAutoscaler").spec.metrics = find(o, "HorizontalPodAutoscaler").spec.metrics.filter((m: { type: string }) => m.type !== "Pods")), /HorizontalPodAutoscaler\/guichet: no Pods metric/],
      ["HPA without CPU", (o) => (find(o, "HorizontalPodAutoscaler").spec.metrics = find(o, "HorizontalPodAutoscaler").spec.metrics.filter((m: { type: string }) => m.type !== "Resource")), /no CPU \(Resource cpu\) metric/],
      ["HPA on another target", (o) => (find(o, "HorizontalPodAutoscaler").spec.scaleTargetRef.name = "other"), /scaleTargetRef names no Deployment/],
      ["HPA bounds upside down", (o) => (find(o, "HorizontalPodAutoscaler").spec.minReplicas = 13), /minReplicas 13 is above maxReplicas 12/],
      ["no PodDisruptionBudget", (o) => o.splice(o.indexOf(find(o, "PodDisruptionBudget")), 1), /no PodDisruptionBudget among the objects/],
      ["a PDB that blocks drains", (o) => (find(o, "PodDisruptionBudget").spec.minAvailable = 3), /minAvailable 3 with 3 replicas lets no pod be evicted/],
      ["a PDB with neither bound", (o) => delete find(o, "PodDisruptionBudget").spec.minAvailable, /neither minAvailable nor maxUnavailable/],
      ["no NetworkPolicy", (o) => o.splice(0, o.length, ...o.filter((x) => x.kind !== "NetworkPolicy")), /no NetworkPolicy among the objects/],
      ["ingress from anywhere", (o) => find(o, "NetworkPolicy", "guichet-ingress").spec.ingress.push({ ports: [{ port: 3000 }] }), /NetworkPolicy\/guichet-ingress: an ingress rule accepts connections from anywhere/],
      ["no rule for the ingress controller", (o) => (find(o, "NetworkPolicy", "guichet-ingress").spec.ingress[0].from[0].namespaceSelector.matchLabels["kubernetes.io/metadata.name"] = "other"), /no ingress rule admits the ingress controller's namespace ingress-nginx/],
      ["no egress to PostgreSQL", (o) => (find(o, "NetworkPolicy", "guichet-egress-data").spec.egress[0].ports = [{ port: 6379, protocol: "TCP" }]), /no egress rule allows 5432\/TCP \(PostgreSQL\)/],
      ["egress on every port", (o) => delete find(o, "NetworkPolicy", "guichet-egress").spec.egress[2].ports, /NetworkPolicy\/guichet-egress: an egress rule allows every port/],
      ["no DNS", (o) => find(o, "NetworkPolicy", "guichet-egress").spec.egress.shift(), /no egress rule allows 53\/UDP \(DNS\)/],
      ["egress left open", (o) => o.filter((x) => x.kind === "NetworkPolicy").forEach((p) => ((p.spec as { policyTypes: string[] }).policyTypes = ["Ingress"])), /no policy restricts Egress/],
      ["Ingress without tls", (o) => delete find(o, "Ingress").spec.tls, /Ingress\/guichet: no tls/],
      ["a host outside tls", (o) => (find(o, "Ingress").spec.rules[0].host = "other.example.org"), /host other\.example\.org is not covered by tls/],
      ["a backend port the Service lacks", (o) => (find(o, "Ingress").spec.rules[0].http.paths[0].backend.service.port = { name: "web" }), /backend guichet:web is no port of a Service/],
      ["proxy buffering on", (o) => delete find(o, "Ingress").metadata.annotations!["nginx.ingress.kubernetes.io/proxy-buffering"], /proxy buffering is not off/],
      ["a short read timeout", (o) => (find(o, "Ingress").metadata.annotations!["nginx.ingress.kubernetes.io/proxy-read-timeout"] = "5"), /proxy-read-timeout unset or not above/],
      ["a label missing", (o) => delete find(o, "Service").metadata.labels!["app.kubernetes.io/part-of"], /Service\/guichet: label app\.kubernetes\.io\/part-of is missing, not guichet/],
      ["another environment's label", (o) => (find(o, "Ingress").metadata.labels!.environment = "staging"), /Ingress\/guichet: label environment is staging, not production/],
      ["an object in another namespace", (o) => (find(o, "Service").metadata.namespace = "default"), /default\/Service\/guichet: namespace default, not guichet-production/],
      ["a Service selecting nothing", (o) => (find(o, "Service").spec.selector = { app: "other" }), /Service\/guichet: selector matches no Deployment's pods/],
      ["a Deployment selector off its pods", (o) => (find(o, "Deployment").spec.selector.matchLabels = { app: "other" }), /Deployment\/guichet: selector does not match its pod labels/],
      ["no topology spread", (o) => delete podSpec(o).topologySpreadConstraints, /no topologySpreadConstraints/],
      ["a spread that counts other pods", (o) => (podSpec(o).topologySpreadConstraints[0].labelSelector.matchLabels = { app: "other" }), /topology spread over topology\.kubernetes\.io\/zone does not select its own pods/],
      ["a NetworkPolicy on other pods", (o) => (find(o, "NetworkPolicy", "guichet-egress").spec.podSelector.matchLabels = { app: "other" }), /NetworkPolicy\/guichet-egress: podSelector matches no Deployment's pods/],
      ["a scrape job the alerts do not select", (o) => (find(o, "ServiceMonitor").spec.jobLabel = "app.kubernetes.io/component"), /the scrape job would be api, the alert rules select job="guichet"/],
      ["a ServiceMonitor on another port", (o) => (find(o, "ServiceMonitor").spec.endpoints[0].port = "metrics"), /endpoint port metrics is not a port of/],
      ["a ServiceMonitor selecting no Service", (o) => (find(o, "ServiceMonitor").spec.selector.matchLabels = { app: "other" }), /ServiceMonitor\/guichet: selector matches no Service/],
    ];

    it.each(policyCases)("policy: %s", (_name, mutate, problem) => {
      const objects = structuredClone(production);
      mutate(objects);
      expect(policyProblems(objects, "production").join("\n")).toMatch(problem);
    });

    const schemaCases: Mutation[] = [
      ["replicas \"two\"", (o) => (find(o, "Deployment").spec.replicas = "two"), /Deployment\/guichet: data\/spec\/replicas must be integer/],
      ["a memory quantity that is none", (o) => (container(o).resources.limits.memory = "1 GB"), /limits\/memory must match format "quantity"/],
      ["a container without a name", (o) => delete container(o).name, /must have required property name/],
      ["a ServiceMonitor without endpoints' list", (o) => (find(o, "ServiceMonitor").spec.endpoints = "http"), /ServiceMonitor\/guichet: data\/spec\/endpoints must be array/],
      ["a PrometheusRule with a rule of no expr", (o) => delete find(o, "PrometheusRule").spec.groups[0].rules[0].expr, /PrometheusRule\/guichet: .*must have required property expr/],
      ["an unknown kind", (o) => o.push({ apiVersion: "example.org/v1", kind: "Widget", metadata: { name: "w" } }), /Widget\/w: no schema for apiVersion example\.org\/v1 kind Widget/],
      ["an unknown apiVersion of a known kind", (o) => (find(o, "PodDisruptionBudget").apiVersion = "policy/v9"), /PodDisruptionBudget\/guichet: no schema for apiVersion policy\/v9/],
      ["a sub-structure as a kind", (o) => o.push({ apiVersion: "apps/v1", kind: "DeploymentSpec", metadata: { name: "d" } }), /DeploymentSpec\/d: no schema/],
    ];

    it.each(schemaCases)("schema: %s", async (_name, mutate, problem) => {
      const objects = structuredClone(production);
      mutate(objects);
      expect((await validateAll(objects)).join("\n")).toMatch(problem);
    });

    it("schema: a valid object alone has no problem", async () => {
      expect(await schemaProblems(find(production, "Service"))).toEqual([]);
    });

    const overlayCases: Array<[string, (staging: K8sObject[], production: K8sObject[]) => void, RegExp]> = [
      ["the same namespace", (s) => s.forEach((o) => (o.kind === "Namespace" ? (o.metadata.name = "guichet-production") : (o.metadata.namespace = "guichet-production"))), /share the namespace guichet-production/],
      ["the same replicas", (s) => (find(s, "Deployment").spec.replicas = 3), /the same replicas \(3\)/],
      ["staging too large", (s) => (find(s, "Deployment").spec.replicas = 4), /staging replicas 4, not 1 or 2/],
      ["production too small", (_s, p) => (find(p, "Deployment").spec.replicas = 2), /production replicas 2, fewer than 3/],
      ["staging HPA as large", (s) => (find(s, "HorizontalPodAutoscaler").spec.maxReplicas = 12), /staging's HPA bounds \(max 12\) are not smaller/],
      ["production PDB without minAvailable", (_s, p) => (find(p, "PodDisruptionBudget").spec = { maxUnavailable: 1 }), /production PodDisruptionBudget minAvailable undefined/],
      ["the same host", (s) => (find(s, "Ingress").spec.rules[0].host = "guichet.example.org"), /share an Ingress host/],
    ];

    it.each(overlayCases)("overlays: %s", (_name, mutate, problem) => {
      const s = structuredClone(staging);
      const p = structuredClone(production);
      mutate(s, p);
      expect(overlayProblems(s, p).join("\n")).toMatch(problem);
    });

    it("drift: a rendered PrometheusRule whose alert changed", () => {
      const objects = structuredClone(production);
      const groups = find(objects, "PrometheusRule").spec.groups as RuleGroup[];
      const alerts = groups.find((g) => g.rules.some((r) => r.alert))!;
      const n = alerts.rules.findIndex((r) => r.alert);
      alerts.rules[n]!.expr = "up == 0";
      expect(ruleDrift(ruleGroups(rulesYaml), groups)).toEqual([expect.stringContaining(`rule ${n + 1} (${alerts.rules[n]!.alert}) differs`)]);
    });
  });

  describe("kustomize itself", () => {
    let tmp: string;
    beforeEach(() => {
      tmp = mkdtempSync(join(tmpdir(), "guichet-k8s-"));
      cpSync(join(k8sDir, "base"), join(tmp, "base"), { recursive: true });
    });
    afterEach(() => rmSync(tmp, { recursive: true, force: true }));

    const editKustomization = (edit: (text: string) => string) => {
      const file = join(tmp, "base", "kustomization.yaml");
      writeFileSync(file, edit(readFileSync(file, "utf8")));
    };

    it("a copy of the base renders like the base", () => {
      expect(renderKustomization(join(tmp, "base")).objects.length).toBeGreaterThanOrEqual(11);
    });

    it("a kustomization naming a missing resource fails to render, naming the file", () => {
      editKustomization((text) => text.replace("  - pdb.yaml\n", "  - pdb.yaml\n  - missing.yaml\n"));
      expect(() => renderKustomization(join(tmp, "base"))).toThrow(/kustomize .* exited with 1: .*accumulating resources from 'missing\.yaml'.*no such file or directory/s);
    });

    it("a patch whose target test fails makes the overlay fail to render", () => {
      cpSync(overlay("production"), join(tmp, "overlays", "production"), { recursive: true });
      const deployment = join(tmp, "base", "deployment.yaml");
      writeFileSync(deployment, readFileSync(deployment, "utf8").replace("topologyKey: kubernetes.io/hostname", "topologyKey: kubernetes.io/os"));
      expect(() => renderKustomization(join(tmp, "overlays", "production"))).toThrow(/testing value \/spec\/template\/spec\/topologySpreadConstraints\/1\/topologyKey failed/);
    });

    it("a deprecated field renders with a warning, which the overlays' render refuses", () => {
      editKustomization((text) => `${text}commonLabels:\n  team: guichet\n`);
      expect(renderKustomization(join(tmp, "base")).warnings.join("\n")).toMatch(/commonLabels.*deprecated/);
    });

    it("a kubectl that cannot be run says so", () => {
      expect(kubectlVersion(join(tmp, "no-kubectl"))).toBeUndefined();
      expect(() => renderKustomization(join(tmp, "base"), join(tmp, "no-kubectl"))).toThrow(/ENOENT/);
    });
  });
});
