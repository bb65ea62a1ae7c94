import { posix } from "node:path";
import { DockerfileParser, From, ModifiableInstruction, PropertyInstruction, type Instruction } from "dockerfile-ast";

/** One COPY or ADD: from the build context, or from an earlier stage when `from` is set. */
export interface CopyStep {
  keyword: "COPY" | "ADD";
  from?: string;
  sources: string[];
  /** Absolute, resolved against the stage's WORKDIR at that point. */
  dest: string;
  /** The sources go into `dest` as a folder (it ends with `/`, or there are several sources). */
  intoFolder: boolean;
}

/** One build stage, reduced to what the checks and the start-up test read. */
export interface Stage {
  name?: string;
  /** The working directory at the end of the stage. */
  workdir: string;
  /** The FROM image as written (`node:24-bookworm-slim`, or an earlier stage's name). */
  image: string;
  imageName?: string;
  imageTag?: string;
  instructions: Instruction[];
  /** ENV of the stage, in order (a later value replaces an earlier one). */
  env: Record<string, string>;
  /** ARG names with their default (undefined: none). */
  args: Record<string, string | undefined>;
  labels: Record<string, string>;
  /** Each RUN's shell text (flags such as --mount left out) with the stage's ENV at that point. */
  runs: Array<{ text: string; env: Record<string, string> }>;
  copies: CopyStep[];
  /** Each USER with the index of its instruction in `instructions`. */
  users: Array<{ value: string; at: number }>;
  volumes: string[];
  exposed: string[];
  /** CMD and ENTRYPOINT: the exec-form array, or the shell-form text. */
  cmd?: { exec?: string[]; shell?: string; at: number };
  entrypoint?: { exec?: string[]; shell?: string; at: number };
  /** The HEALTHCHECK's command after `CMD`, as exec form or shell text; `none` when it is HEALTHCHECK NONE. */
  healthcheck?: { exec?: string[]; shell?: string; none?: boolean };
}

export interface DockerfileModel {
  /** ARGs before the first FROM. */
  globalArgs: Record<string, string | undefined>;
  stages: Stage[];
  /** The stage the image is made of. */
  final: Stage;
}

/** The JSON array of an exec-form instruction, or undefined when it is in shell form. */
function execForm(text: string): string[] | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith("[")) return undefined;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    return Array.isArray(parsed) && parsed.every((p) => typeof p === "string") ? (parsed as string[]) : undefined;
  } catch {
    return undefined;
  }
}

function command(text: string): { exec?: string[]; shell?: string } {
  const exec = execForm(text);
  return exec ? { exec } : { shell: text.trim() };
}

/** Text of the arguments, flags (`--from=…`, `--mount=…`, `--interval=…`) left out. */
function argumentsText(instruction: Instruction): string {
  return instruction
    .getArguments()
    .map((a) => a.getValue())
    .join(" ");
}

function properties(instruction: Instruction): Array<{ name: string; value: string | null }> {
  if (!(instruction instanceof PropertyInstruction)) return [];
  return instruction.getProperties().map((p) => ({ name: p.getName(), value: p.getValue() }));
}

function flagValue(instruction: Instruction, name: string): string | undefined {
  if (!(instruction instanceof ModifiableInstruction)) return undefined;
  return instruction.getFlags().find((f) => f.getName() === name)?.getValue() ?? undefined;
}

function newStage(f: From, workdir: string): Stage {
  return {
    workdir,
    ...(f.getBuildStage() ? { name: f.getBuildStage()! } : {}),
    image: f.getImage() ?? "",
    ...(f.getImageName() ? { imageName: f.getImageName()! } : {}),
    ...(f.getImageTag() ? { imageTag: f.getImageTag()! } : {}),
    instructions: [],
    env: {},
    args: {},
    labels: {},
    runs: [],
    copies: [],
    users: [],
    volumes: [],
    exposed: [],
  };
}

function addInstruction(stage: Stage, instruction: Instruction, workdir: { path: string }): void {
  const keyword = instruction.getKeyword();
  const at = stage.instructions.push(instruction) - 1;
  const raw = instruction.getRawArgumentsContent() ?? "";
  switch (keyword) {
    case "ENV":
      for (const p of properties(instruction)) stage.env[p.name] = p.value ?? "";
      break;
    case "ARG":
      for (const p of properties(instruction)) stage.args[p.name] = p.value ?? undefined;
      break;
    case "LABEL":
      for (const p of properties(instruction)) stage.labels[p.name] = p.value ?? "";
      break;
    case "RUN":
      stage.runs.push({ text: argumentsText(instruction), env: { ...stage.env } });
      break;
    case "WORKDIR":
      workdir.path = posix.resolve(workdir.path, argumentsText(instruction));
      stage.workdir = workdir.path;
      break;
    case "COPY":
    case "ADD": {
      const exec = execForm(raw.replace(/^(--\S+\s+)+/, ""));
      const parts = exec ?? instruction.getArguments().map((a) => a.getValue());
      const from = flagValue(instruction, "from");
      stage.copies.push({
        keyword,
        ...(from ? { from } : {}),
        sources: parts.slice(0, -1),
        dest: posix.resolve(workdir.path, parts.at(-1) ?? "."),
        intoFolder: (parts.at(-1) ?? "").endsWith("/") || parts.length > 2,
      });
      break;
    }
    case "USER":
      stage.users.push({ value: argumentsText(instruction), at });
      break;
    case "VOLUME":
      stage.volumes.push(...(execForm(raw) ?? raw.trim().split(/\s+/)));
      break;
    case "EXPOSE":
      stage.exposed.push(...raw.trim().split(/\s+/));
      break;
    case "CMD":
      stage.cmd = { ...command(raw), at };
      break;
    case "ENTRYPOINT":
      stage.entrypoint = { ...command(raw), at };
      break;
    case "HEALTHCHECK": {
      const match = /(?:^|\s)CMD\s+([\s\S]*)$/i.exec(raw);
      stage.healthcheck = match ? command(match[1]!.replace(/\\\n/g, " ")) : { none: /\bNONE\b/i.test(raw) };
      break;
    }
  }
}

/** Parses a Dockerfile into its stages (dockerfile-ast does the tokenising, continuation lines and quoting). */
export function parseDockerfile(text: string): DockerfileModel {
  const dockerfile = DockerfileParser.parse(text);
  const globalArgs: Record<string, string | undefined> = {};
  for (const arg of dockerfile.getInitialARGs()) {
    for (const p of properties(arg)) globalArgs[p.name] = p.value ?? undefined;
  }
  const stages: Stage[] = [];
  const workdir = { path: "/" };
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction instanceof From) {
      // A stage built on an earlier one starts from its working directory.
      const parent = stages.find((s) => s.name !== undefined && s.name === instruction.getImage());
      workdir.path = parent?.workdir ?? "/";
      stages.push(newStage(instruction, workdir.path));
    } else if (stages.length > 0) {
      addInstruction(stages.at(-1)!, instruction, workdir);
    }
  }
  const final = stages.at(-1);
  if (!final) throw new Error("the Dockerfile has no FROM instruction");
  return { globalArgs, stages, final };
}
