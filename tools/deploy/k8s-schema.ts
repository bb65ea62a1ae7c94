/**
 * Validates rendered objects against the Kubernetes JSON schemas, offline: the models of `kubernetes-models`
 * (built-in kinds) and `@kubernetes-models/prometheus-operator` (monitoring.coreos.com), pinned in package.json.
 * A kind neither package knows is a problem too: nothing goes out unchecked.
 */
import { objectName, type K8sObject } from "./k8s-render.js";

interface ModelClass {
  new (data: unknown): { validate(): void };
  apiVersion?: string;
  kind?: string;
}

const GROUP = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
const VERSION = /^v\d+((alpha|beta)\d+)?$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;

/** The module path of a model, or undefined when apiVersion or kind cannot name one. */
export function modelPath(apiVersion: string, kind: string): string | undefined {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/", 2) : ["", apiVersion];
  if (!version || !VERSION.test(version) || !KIND.test(kind) || (group !== "" && !GROUP.test(group!))) return undefined;
  if (group === "monitoring.coreos.com") return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  return group === "" ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
}

const loaded = new Map<string, Promise<ModelClass | undefined>>();
let queue: Promise<unknown> = Promise.resolve();

/** Whether an import failed because no such module exists (rather than for a reason worth reporting). */
const notFound = (error: unknown) =>
  (error as { code?: string }).code === "ERR_MODULE_NOT_FOUND" || /Cannot find module/.test(String((error as Error).message));

async function load(path: string, apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  let module: Record<string, unknown>;
  try {
    module = (await import(path)) as Record<string, unknown>;
  } catch (error) {
    if (notFound(error)) return undefined;
    throw error;
  }
  const model = module[kind] as ModelClass | undefined;
  // Sub-structures (DeploymentSpec, …) have modules too, but no apiVersion of their own.
  return typeof model === "function" && model.apiVersion === apiVersion && model.kind === kind ? model : undefined;
}

/**
 * The model class of apiVersion/kind, or undefined when neither package has one. Imports run one at a time:
 * Jest's ESM loader fails on two imports that share modules while both are being linked.
 */
export function modelFor(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const path = modelPath(apiVersion, kind);
  if (!path) return Promise.resolve(undefined);
  let model = loaded.get(path);
  if (!model) {
    model = queue.then(() => load(path, apiVersion, kind));
    queue = model.catch(() => undefined);
    loaded.set(path, model);
  }
  return model;
}

/** What is wrong with one object against its schema: an empty list when it is valid. */
export async function schemaProblems(object: K8sObject): Promise<string[]> {
  const model = await modelFor(String(object.apiVersion), String(object.kind));
  if (!model) return [`${objectName(object)}: no schema for apiVersion ${object.apiVersion} kind ${object.kind}`];
  try {
    new model(object).validate();
    return [];
  } catch (error) {
    return [`${objectName(object)}: ${(error as Error).message}`];
  }
}

/** The schema problems of every object. */
export async function validateAll(objects: K8sObject[]): Promise<string[]> {
  return (await Promise.all(objects.map(schemaProblems))).flat();
}
