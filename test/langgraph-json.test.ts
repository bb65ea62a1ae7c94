import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { CompiledStateGraph } from "@langchain/langgraph";

interface LanggraphJson {
  dependencies: string[];
  graphs: Record<string, string>;
}

const config = JSON.parse(readFileSync("langgraph.json", "utf8")) as LanggraphJson;

describe("langgraph.json", () => {
  it("points only at paths that exist", () => {
    for (const dependency of config.dependencies) expect(existsSync(resolve(dependency))).toBe(true);
    for (const spec of Object.values(config.graphs)) {
      const [file] = spec.split(":");
      expect(existsSync(resolve(file!))).toBe(true);
    }
  });

  it.each(Object.entries(config.graphs))("exports %s as a compiled graph with the expected nodes", async (name, spec) => {
    const [file, exportName] = spec.split(":");
    const module = (await import(resolve(file!))) as Record<string, unknown>;
    const graph = module[exportName!];
    expect(graph).toBeInstanceOf(CompiledStateGraph);
    const compiled = graph as CompiledStateGraph<never, never>;
    expect(compiled.name).toBe(name);
    expect(Object.keys(compiled.nodes)).toEqual(
      expect.arrayContaining(["guard", "refuse", "retrieve", "answer", "translate"]),
    );
  });
});
